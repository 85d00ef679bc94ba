/**
 * The macro assembler and the disassembler of the guest ISA.
 * @category Assembler
 */
export { assemble, assembleFile, DEFAULT_FILE, MAX_CONSTANT_CHAIN, MAX_IMAGE_SIZE } from './assembler';
export type { AssembleOptions, Program, SourceMapEntry } from './assembler';
export { disassemble, disassembleToSource, formatInstruction } from './disassembler';
export type { DisasmLine } from './disassembler';
export { MAX_EXPRESSION_DEPTH } from './expression';
export { formatAsmError, MAX_ERRORS } from './errors';
export type { AsmError } from './errors';
export { MAX_EXPANDED_TEXT, MAX_INCLUDE_DEPTH, MAX_MACRO_DEPTH } from './preprocess';
export { MAX_SOURCE_SIZE, readSourceFile } from './read-source';
export { MAX_LINE_LENGTH } from './source';
