/**
 * Encoder and decoder, derived from the instruction table.
 * @category ISA
 */
import { Formats, ISA, MNEMONICS, type Format, type Mnemonic } from './table';

/** A decoded instruction. Fields its format does not use are 0. */
export interface Instruction {
  readonly mnemonic: Mnemonic;
  readonly ra: number;
  readonly rb: number;
  readonly rc: number;
  /** the 12-bit in-word immediate (port, vector, control register number) */
  readonly imm12: number;
  /** the 32-bit immediate word, as a signed 32-bit integer */
  readonly imm: number;
}

const FIELD_BITS: Record<'ra' | 'rb' | 'rc' | 'imm12' | 'imm', number> = {
  ra: 0xf << 20,
  rb: 0xf << 16,
  rc: 0xf << 12,
  imm12: 0xfff,
  imm: 0,
};

/** Bits of the instruction word that a format may set besides the opcode. */
export const fieldMask = (format: Format): number =>
  (Formats[format].fields as readonly (keyof typeof FIELD_BITS)[]).reduce((m, f) => m | FIELD_BITS[f], 0) >>> 0;

/** Mask and match of an instruction's encoding (riscv-opcodes style). */
export const encodingOf = (m: Mnemonic): { mask: number; match: number } => ({
  mask: ~fieldMask(ISA[m].format) >>> 0,
  match: (ISA[m].opcode << 24) >>> 0,
});

/** Size in bytes of an instruction with this mnemonic. */
export const sizeOf = (m: Mnemonic): number => (Formats[ISA[m].format].ext ? 8 : 4);

/** Mnemonic by opcode byte, undefined where unassigned. */
export const MNEMONIC_BY_OPCODE: readonly (Mnemonic | undefined)[] = (() => {
  const t: (Mnemonic | undefined)[] = new Array(256).fill(undefined);
  for (const m of MNEMONICS) {
    if (t[ISA[m].opcode] !== undefined) throw new Error(`opcode 0x${ISA[m].opcode.toString(16)} assigned twice`);
    t[ISA[m].opcode] = m;
  }
  return t;
})();

/** Per opcode: the bits that must be zero for a valid encoding (0xffffffff where unassigned). */
export const RESERVED_BITS_BY_OPCODE: Uint32Array = (() => {
  const t = new Uint32Array(256).fill(0xffffffff);
  for (const m of MNEMONICS) t[ISA[m].opcode] = ~(fieldMask(ISA[m].format) | 0xff000000) >>> 0;
  return t;
})();

/** Per opcode: 1 if the instruction takes an immediate word. */
export const HAS_EXT_BY_OPCODE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const m of MNEMONICS) t[ISA[m].opcode] = Formats[ISA[m].format].ext ? 1 : 0;
  return t;
})();

/** Normalise an instruction: unused fields zero, registers 4-bit, imm12 12-bit, imm int32. */
export const makeInstruction = (
  mnemonic: Mnemonic,
  f: Partial<Omit<Instruction, 'mnemonic'>> = {},
): Instruction => {
  const used = new Set<string>(Formats[ISA[mnemonic].format].fields);
  return {
    mnemonic,
    ra: used.has('ra') ? (f.ra ?? 0) & 0xf : 0,
    rb: used.has('rb') ? (f.rb ?? 0) & 0xf : 0,
    rc: used.has('rc') ? (f.rc ?? 0) & 0xf : 0,
    imm12: used.has('imm12') ? (f.imm12 ?? 0) & 0xfff : 0,
    imm: used.has('imm') ? (f.imm ?? 0) | 0 : 0,
  };
};

/** Encode to one or two 32-bit words (unsigned). */
export const encode = (i: Instruction): number[] => {
  const spec = ISA[i.mnemonic];
  const w = ((spec.opcode << 24) | (i.ra << 20) | (i.rb << 16) | (i.rc << 12) | i.imm12) >>> 0;
  return Formats[spec.format].ext ? [w, i.imm >>> 0] : [w];
};

/** Result of decoding a word: the instruction, or why the word is not one. */
export type Decoded =
  | { readonly ok: true; readonly instruction: Instruction; readonly size: number }
  | { readonly ok: false; readonly reason: 'unassigned-opcode' | 'reserved-bits-set' };

/** Decode the instruction word `w` (and `ext`, the following word, if the format needs it). */
export const decode = (w: number, ext = 0): Decoded => {
  const op = w >>> 24;
  const mnemonic = MNEMONIC_BY_OPCODE[op];
  if (mnemonic === undefined) return { ok: false, reason: 'unassigned-opcode' };
  if ((w & RESERVED_BITS_BY_OPCODE[op]) !== 0) return { ok: false, reason: 'reserved-bits-set' };
  const instruction: Instruction = {
    mnemonic,
    ra: (w >>> 20) & 0xf,
    rb: (w >>> 16) & 0xf,
    rc: (w >>> 12) & 0xf,
    imm12: w & 0xfff,
    imm: HAS_EXT_BY_OPCODE[op] ? ext | 0 : 0,
  };
  return { ok: true, instruction, size: HAS_EXT_BY_OPCODE[op] ? 8 : 4 };
};
