/**
 * Disassembler, derived from the instruction table: operands are rendered from each
 * format's syntax string. Its output reassembles to the same bytes.
 * @category Assembler
 */
import { HAS_EXT_BY_OPCODE, decode, sizeOf, type Instruction } from '../isa/codec';
import { ISA } from '../isa/table';
import { syntaxOf, type SyntaxWord } from './operands';
import { controlRegisterName, registerName } from './registers';

/** One line of disassembly. */
export interface DisasmLine {
  readonly address: number;
  /** the instruction's words (for a `.byte` line: its bytes) */
  readonly words: number[];
  /** assembly text, e.g. `ld r1, [sp+0x8]`, `jz 0x1000`, `.word 0xffffffff` */
  readonly text: string;
}

/** `0x` hex of the unsigned 32-bit value. */
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Small negative immediates print as `-0x4`, everything else as unsigned hex. */
const immediate = (n: number): string => (n < 0 && n >= -0x10000 ? `-${hex(-n)}` : hex(n));

const memory = (rb: number, imm: number): string => {
  if (rb === 0) return `[${hex(imm)}]`;
  if (imm === 0) return `[${registerName(rb)}]`;
  return imm < 0 ? `[${registerName(rb)}-${hex(-imm)}]` : `[${registerName(rb)}+${hex(imm)}]`;
};

/** Render an operand; undefined if the field holds something the assembler cannot write. */
type Renderer = (i: Instruction, next: number) => string | undefined;

/** The 32-bit immediate: an absolute target for pc-relative rows. */
const imm32: Renderer = (i, next) => (ISA[i.mnemonic].pcRelative ? hex(next + i.imm) : immediate(i.imm));

const RENDERERS: Readonly<Record<SyntaxWord, Renderer>> = {
  ra: (i) => registerName(i.ra),
  rb: (i) => registerName(i.rb),
  rc: (i) => registerName(i.rc),
  imm: imm32,
  target: imm32,
  imm12: (i) => hex(i.imm12),
  port: (i) => hex(i.imm12),
  cr: (i) => controlRegisterName(i.imm12),
  '[rb+imm]': (i) => memory(i.rb, i.imm),
};

/** Assembly text of an instruction at `address`; undefined if it has no assembly form. */
export const formatInstruction = (i: Instruction, address: number): string | undefined => {
  const next = address + sizeOf(i.mnemonic);
  const operands = syntaxOf(ISA[i.mnemonic].format).map((w) => RENDERERS[w](i, next));
  if (operands.some((o) => o === undefined)) return undefined;
  return operands.length === 0 ? i.mnemonic : `${i.mnemonic} ${operands.join(', ')}`;
};

/**
 * Disassemble an image loaded at `origin`. Words that do not decode (and an instruction
 * whose immediate word is missing at the end) become `.word`; trailing bytes `.byte`.
 */
export const disassemble = (bytes: Uint8Array, origin = 0): DisasmLine[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = bytes.length - (bytes.length % 4);
  const lines: DisasmLine[] = [];
  let offset = 0;
  while (offset < whole) {
    const address = (origin + offset) >>> 0;
    const w = view.getUint32(offset, true);
    const hasExt = HAS_EXT_BY_OPCODE[w >>> 24] === 1 && offset + 8 <= whole;
    const d = decode(w, hasExt ? view.getUint32(offset + 4, true) : 0);
    const text = d.ok && (hasExt || d.size === 4) ? formatInstruction(d.instruction, address) : undefined;
    if (d.ok && text !== undefined) {
      lines.push({ address, words: hasExt ? [w, view.getUint32(offset + 4, true)] : [w], text });
      offset += d.size;
    } else {
      lines.push({ address, words: [w], text: `.word 0x${w.toString(16).padStart(8, '0')}` });
      offset += 4;
    }
  }
  if (whole < bytes.length) {
    const rest = [...bytes.subarray(whole)];
    lines.push({ address: (origin + whole) >>> 0, words: rest, text: `.byte ${rest.map(hex).join(', ')}` });
  }
  return lines;
};

/** Reassemblable source for an image loaded at `origin` (starts with `.org` if origin is not 0). */
export const disassembleToSource = (bytes: Uint8Array, origin = 0): string => {
  const body = disassemble(bytes, origin).map((l) => `    ${l.text}`);
  return [...(origin !== 0 ? [`.org ${hex(origin)}`] : []), ...body].join('\n') + '\n';
};
