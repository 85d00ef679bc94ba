/**
 * The reference interpreter: fetch, decode and dispatch one instruction at a time.
 *
 * Dispatch is a switch on literal opcodes (V8 compiles it to a jump table; a table of
 * closures ran at a sixth of the speed, and a const enum is not inlined under ts-node's
 * transpile-only mode). The switch is over {@link Opcode}, the union of the table's opcode
 * literals, with a `never` default: a case the table does not assign, or a table row with
 * no case here, is a compile error. test/core/cpu/interpreter.test.ts checks that each
 * case's comment names the table's mnemonic for that opcode.
 * @category CPU
 */
import { HAS_EXT_BY_OPCODE, MNEMONIC_BY_OPCODE, RESERVED_BITS_BY_OPCODE } from '../isa/codec';
import { Flag, Vector, type ISA, type Mnemonic } from '../isa/table';
import { Access } from '../mmu/pte';
import { hitSlot } from '../mmu/tlb';
import { GuestFault } from '../isa/fault';
import type { Cpu } from './cpu';
import { PRIV_KERNEL, PRIV_NONE } from './privilege';
import * as Sem from './semantics';
import * as Lazy from './lazy-flags';

/** An opcode the table assigns (a union of literal types derived from the table). */
export type Opcode = (typeof ISA)[Mnemonic]['opcode'];

// Module-local aliases: an imported binding compiles to a property load on the exporting
// module's object (often in dictionary mode); a local const is a fast context load.
// as int32 (same bits): a Uint32Array load of a value above 2^31 would be a double
const RESERVED = new Int32Array(RESERVED_BITS_BY_OPCODE.buffer, RESERVED_BITS_BY_OPCODE.byteOffset, RESERVED_BITS_BY_OPCODE.length);
const HAS_EXT = HAS_EXT_BY_OPCODE;
const FETCH = Access.fetch;
const S = { ...Sem };

/** Semantics of the system instructions, by opcode (rare: a table call is fine here). */
const SYSTEM: Sem.Exec[] = (() => {
  const t: Sem.Exec[] = new Array(256);
  t[0x3a] = S.execPause; // pause
  t[0x42] = S.execSidt; // sidt
  t[0x43] = S.execSmsw; // smsw
  t[0x44] = S.execRdcpl; // rdcpl
  t[0x38] = S.execInt; // int
  t[0x39] = S.execVmcall; // vmcall
  t[0x40] = S.execPushf; // pushf
  t[0x41] = S.execPopf; // popf
  t[0x50] = S.execCli; // cli
  t[0x51] = S.execSti; // sti
  t[0x52] = S.execHlt; // hlt
  t[0x53] = S.execRdcr; // rdcr
  t[0x54] = S.execWrcr; // wrcr
  t[0x55] = S.execLidt; // lidt
  t[0x56] = S.execInvlpg; // invlpg
  t[0x57] = S.execIn; // in
  t[0x58] = S.execOut; // out
  t[0x59] = S.execIret; // iret
  t[0x5a] = S.execSysenter; // sysenter
  t[0x5b] = S.execSysexit; // sysexit
  return t;
})();

/**
 * A burst's instruction limit after a page walk advanced the clock: the burst ends at the
 * first instruction boundary at or past the checkpoint (clock = c0 + n x IC + walks x WC).
 * Every engine ends its bursts with this rule.
 */
export const limitAfterWalk = (checkpoint: number, c0: number, n: number, IC: number, walks: number, WC: number, limit: number): number => {
  const rest = checkpoint - (c0 + n * IC + walks * WC);
  const byWalk = rest <= 0 ? n : n + Math.ceil(rest / IC);
  return byWalk < limit ? byWalk : limit;
};

/** The code-page tag slot used when addresses are not translated. */
const UNTRANSLATED_TAG = new Int32Array(1);

/** Most instructions one call of the interpreter runs before returning to the run loop. */
export const MAX_BURST = 1 << 16;

const ZF = Flag.ZF;
const CF = Flag.CF;

const less = Lazy.less;
const LAZY_ADD = Lazy.LAZY_ADD;
const LAZY_SUB = Lazy.LAZY_SUB;
const LAZY_LOGIC = Lazy.LAZY_LOGIC;

/**
 * The flags word with the arithmetic flags of a pending lazy operation folded in
 * (core/cpu/lazy-flags.ts).
 *
 * The burst's exits call it unconditionally rather than behind `lk !== 0 ? ... : flags`:
 * a call site that had not yet run when V8 optimized {@link interpret} (a burst seldom ends
 * with lazy flags pending during warm-up) has no type feedback, and the first exit that
 * reached it deoptimized the whole interpreter, again after each re-optimization. Called on
 * every exit, the site always has feedback, and the body's feedback is shared with the
 * conditional jumps' calls.
 */
const lazyFlags = Lazy.lazyFlags;

/**
 * Execute a burst of instructions at one CPL until the clock reaches the checkpoint (devices
 * or the cycle budget), the instruction budget is spent, an interrupt may be deliverable, or
 * a system instruction ran (it may change CPL or mode). Faults and VM exits leave by
 * throwing; the counts are folded into the CPU's ledger either way, so the clock (modelled
 * cycles) is exact at every exit of the burst.
 *
 * The clock inside a burst is the clock at its start plus the instructions retired and the
 * page-walk references made since, each at its price: the burst ends at the first
 * instruction boundary at or past the checkpoint, and any engine must end it there too.
 *
 * The hot path keeps pc, time and the current code page in locals and computes flags
 * inline: V8 does not inline calls from a function this large, and a call per instruction
 * costs more than the instruction.
 *
 * Another engine (core/cpu/jit.ts) hands instructions it does not compile to this one inside
 * its own burst: `most` caps the instructions run, `c0` and `w0` are the clock and the
 * walk references at the start of that burst (so the checkpoint is found at the same
 * boundary). Returns whether a system instruction ended the burst.
 */
export const interpret = (m: Cpu, most = MAX_BURST, c0 = m.time, w0 = m.mmu.walkReferences): boolean => {
  const regs = m.regs;
  const mmu = m.mmu;
  const tlb = mmu.tlb;
  const i32 = m.memory.i32;
  const privs = m.privilegeByOpcode;
  const cpl = m.cpl;
  const user = cpl === 3;
  // the clock advances as c0 + n * IC + (walk references since w0) * WC
  const IC = m.instructionCycles;
  const WC = m.walkCycles;
  let walksSeen = w0;
  let n = 0;
  // bursts are bounded so that V8 optimizes this function on entry rather than by on-stack replacement
  const byBudget = m.instructionLimit - m.instructions;
  const byClock = Math.ceil((m.checkpoint - c0) / IC);
  const burstEnd = Math.max(1, Math.min(byClock, byBudget, most)) | 0;
  let pc = m.pc;
  // n at the last time retired instructions were added to the machine's counts
  let start = 0;
  const nonRoot = m.nonRoot;
  // translation of the current code page: linear page number and physical base
  let codeVpn = -1;
  let codeBase = 0;
  let codeSlot = -1;
  // paging and nesting change only through system instructions, which end the burst
  const translating = mmu.translating;
  // the tags the code-page check reads: the TLB's, or with no translation a private slot
  // that always holds the current page
  const tags = translating ? tlb.tag : UNTRANSLATED_TAG;
  // after STI exactly one instruction runs before interrupts are looked at
  let limit = m.interruptShadow ? 1 : burstEnd;
  m.interruptShadow = false;
  // the flags live in a local while the burst runs (written back before anything that reads them)
  let flags = m.flags;
  // lazy arithmetic flags: the last flag-setting operation's kind, operands and result; the
  // flags are computed from them only when something reads them (most results' never are)
  let lk = 0;
  let lx = 0;
  let ly = 0;
  let lr = 0;
  let system = false;
  // TLB hits of instruction fetches through the cached code page, added to the MMU's count on exit
  let fetchHits = 0;
  // TLB hits of the inline data-access fast path (ld/st), likewise
  let dataHits = 0;
  const tlbTag = tlb.tag;
  const tlbBase = tlb.base;
  const tlbPerm = tlb.perm;
  const setMask = tlb.setMask;
  const ways = tlb.ways;
  try {
    burst: for (;;) {
      if ((pc & 3) !== 0)
        throw new GuestFault(Vector.generalProtection, 0, 0, `misaligned instruction address 0x${(pc >>> 0).toString(16)}`);
      let w: number;
      // the cached code-page translation is valid while the TLB still holds it (a data access
      // may have evicted it: then the fetch misses, as on the modelled TLB); flushes and
      // invalidations come only from system instructions, which end the burst
      if (pc >>> 12 === codeVpn && tags[codeSlot] === codeVpn) {
        fetchHits++;
        w = i32[(codeBase | (pc & 0xfff)) >>> 2];
      } else {
        const pa = mmu.translate(pc, FETCH, user);
        w = i32[pa >>> 2];
        codeVpn = pc >>> 12;
        codeSlot = translating ? mmu.lastSlot : 0;
        if (!translating) tags[0] = codeVpn;
        codeBase = (pa & ~0xfff) | 0;
      }
      const op = w >>> 24;
      if ((w & RESERVED[op]) !== 0)
        throw new GuestFault(Vector.invalidOpcode, 0, 0, `invalid instruction word 0x${(w >>> 0).toString(16).padStart(8, '0')} at 0x${(pc >>> 0).toString(16)}`);
      let imm = 0;
      let next: number;
      if (HAS_EXT[op] !== 0) {
        const pa = (pc & 0xfff) !== 0xffc ? codeBase | ((pc + 4) & 0xfff) : mmu.translate((pc + 4) | 0, FETCH, user);
        if ((pc & 0xfff) !== 0xffc) fetchHits++;
        imm = i32[pa >>> 2];
        next = (pc + 8) | 0;
      } else next = (pc + 4) | 0;
      const p = privs[op];
      if (p !== PRIV_NONE && cpl !== 0 && (p === PRIV_KERNEL || cpl > ((flags >>> 12) & 3)))
        throw new GuestFault(Vector.generalProtection, 0, 0, `privileged instruction '${MNEMONIC_BY_OPCODE[op]}' at CPL ${cpl}`);
      const a = (w >>> 20) & 15;
    switch (op as Opcode) {
      case 0x01 /* nop */: break;
      case 0x02 /* mov */: regs[a] = regs[(w >>> 16) & 15]; break;
      case 0x03 /* li */: regs[a] = imm; break;
      case 0x04 /* add */: { const x = regs[(w >>> 16) & 15]; const y = regs[(w >>> 12) & 15]; const r = (x + y) | 0; regs[a] = r; lk = LAZY_ADD; lx = x; ly = y; lr = r; break; }
      case 0x05 /* sub */: { const x = regs[(w >>> 16) & 15]; const y = regs[(w >>> 12) & 15]; const r = (x - y) | 0; regs[a] = r; lk = LAZY_SUB; lx = x; ly = y; lr = r; break; }
      case 0x06 /* and */: { const r = regs[(w >>> 16) & 15] & regs[(w >>> 12) & 15]; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x07 /* or */: { const r = regs[(w >>> 16) & 15] | regs[(w >>> 12) & 15]; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x08 /* xor */: { const r = regs[(w >>> 16) & 15] ^ regs[(w >>> 12) & 15]; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x09 /* shl */: { const r = regs[(w >>> 16) & 15] << (regs[(w >>> 12) & 15] & 31); regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x0a /* shr */: { const r = (regs[(w >>> 16) & 15] >>> (regs[(w >>> 12) & 15] & 31)) | 0; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x0b /* sar */: { const r = regs[(w >>> 16) & 15] >> (regs[(w >>> 12) & 15] & 31); regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x0c /* mul */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } m.flags = flags; regs[a] = S.mulFlags(m, regs[(w >>> 16) & 15], regs[(w >>> 12) & 15]); flags = m.flags; break;
      case 0x0d /* div */: regs[a] = S.divide(regs[(w >>> 16) & 15], regs[(w >>> 12) & 15], false); break;
      case 0x0e /* rem */: regs[a] = S.divide(regs[(w >>> 16) & 15], regs[(w >>> 12) & 15], true); break;
      case 0x10 /* addi */: { const x = regs[(w >>> 16) & 15]; const y = imm; const r = (x + y) | 0; regs[a] = r; lk = LAZY_ADD; lx = x; ly = y; lr = r; break; }
      case 0x11 /* subi */: { const x = regs[(w >>> 16) & 15]; const y = imm; const r = (x - y) | 0; regs[a] = r; lk = LAZY_SUB; lx = x; ly = y; lr = r; break; }
      case 0x12 /* andi */: { const r = regs[(w >>> 16) & 15] & imm; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x13 /* ori */: { const r = regs[(w >>> 16) & 15] | imm; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x14 /* xori */: { const r = regs[(w >>> 16) & 15] ^ imm; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x15 /* shli */: { const r = regs[(w >>> 16) & 15] << (imm & 31); regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x16 /* shri */: { const r = (regs[(w >>> 16) & 15] >>> (imm & 31)) | 0; regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x17 /* sari */: { const r = regs[(w >>> 16) & 15] >> (imm & 31); regs[a] = r; lk = LAZY_LOGIC; lr = r; break; }
      case 0x18 /* muli */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } m.flags = flags; regs[a] = S.mulFlags(m, regs[(w >>> 16) & 15], imm); flags = m.flags; break;
      case 0x19 /* cmp */: { const x = regs[a]; const y = regs[(w >>> 16) & 15]; const r = (x - y) | 0; lk = LAZY_SUB; lx = x; ly = y; lr = r; break; }
      case 0x1a /* cmpi */: { const x = regs[a]; const y = imm; const r = (x - y) | 0; lk = LAZY_SUB; lx = x; ly = y; lr = r; break; }
      case 0x1b /* test */: { const r = regs[a] & regs[(w >>> 16) & 15]; lk = LAZY_LOGIC; lr = r; break; }
      case 0x1c /* not */: regs[a] = ~regs[a]; break;
      case 0x1d /* neg */: { const x = 0; const y = regs[a]; const r = (x - y) | 0; regs[a] = r; lk = LAZY_SUB; lx = x; ly = y; lr = r; break; }
      case 0x1e /* lea */: regs[a] = (next + imm) | 0; break;
      case 0x20 /* ld */: {
        // fast path: an aligned word whose page the TLB holds with the needed permission;
        // everything else (misses, faults, page-straddling words) goes through the MMU
        const va = (regs[(w >>> 16) & 15] + imm) | 0;
        const slot = (va & 3) === 0 && translating ? hitSlot(tlbTag, tlbPerm, setMask, ways, va >>> 12, user, false) : -1;
        if (slot >= 0) {
          dataHits++;
          regs[a] = i32[(tlbBase[slot] | (va & 0xfff)) >>> 2];
        } else regs[a] = m.read32(va);
        break;
      }
      case 0x21 /* st */: {
        const va = (regs[(w >>> 16) & 15] + imm) | 0;
        const slot = (va & 3) === 0 && translating ? hitSlot(tlbTag, tlbPerm, setMask, ways, va >>> 12, user, true) : -1;
        if (slot >= 0) {
          dataHits++;
          i32[(tlbBase[slot] | (va & 0xfff)) >>> 2] = regs[a];
        } else m.write32(va, regs[a]);
        break;
      }
      case 0x22 /* ldb */: regs[a] = m.read8((regs[(w >>> 16) & 15] + imm) | 0); break;
      case 0x23 /* stb */: m.write8((regs[(w >>> 16) & 15] + imm) | 0, regs[a]); break;
      case 0x24 /* push */: m.push(regs[a]); break;
      case 0x25 /* pop */: { const v = m.pop(); regs[a] = v; break; }
      case 0x26 /* xchg */: {
        // one atomic step: the CPUs of a machine take turns between instructions
        const va = (regs[(w >>> 16) & 15] + imm) | 0;
        const old = m.read32(va);
        m.write32(va, regs[a]);
        regs[a] = old;
        break;
      }
      case 0x27 /* cmpxchg */: {
        const va = (regs[(w >>> 16) & 15] + imm) | 0;
        const cur = m.read32(va);
        const acc = regs[1];
        m.write32(va, cur === acc ? regs[a] : cur);
        if (cur !== acc) regs[1] = cur;
        lk = LAZY_SUB; lx = acc; ly = cur; lr = (acc - cur) | 0;
        break;
      }
      case 0x28 /* jmp */: next = (next + imm) | 0; break;
      case 0x29 /* jz */: if (lk !== 0 ? lr === 0 : (flags & ZF) !== 0) next = (next + imm) | 0; break;
      case 0x2a /* jnz */: if (lk !== 0 ? lr !== 0 : (flags & ZF) === 0) next = (next + imm) | 0; break;
      case 0x2b /* jl */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if (less(flags)) next = (next + imm) | 0; break;
      case 0x2c /* jge */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if (!less(flags)) next = (next + imm) | 0; break;
      case 0x2d /* jle */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if ((flags & ZF) !== 0 || less(flags)) next = (next + imm) | 0; break;
      case 0x2e /* jg */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if ((flags & ZF) === 0 && !less(flags)) next = (next + imm) | 0; break;
      case 0x2f /* jb */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if ((flags & CF) !== 0) next = (next + imm) | 0; break;
      case 0x30 /* jae */: if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if ((flags & CF) === 0) next = (next + imm) | 0; break;
      case 0x34 /* call */: m.push(next); next = (next + imm) | 0; break;
      case 0x35 /* callr */: { const t = regs[a]; m.push(next); next = t; break; }
      case 0x36 /* jmpr */: next = regs[a]; break;
      case 0x3b /* rdpid */: regs[a] = m.cpuId; break;
      case 0x37 /* ret */: next = m.pop(); break;
      case 0x3a /* pause */:
      case 0x42 /* sidt */:
      case 0x43 /* smsw */:
      case 0x44 /* rdcpl */:
      case 0x38 /* int */:
      case 0x39 /* vmcall */:
      case 0x40 /* pushf */:
      case 0x41 /* popf */:
      case 0x50 /* cli */:
      case 0x51 /* sti */:
      case 0x52 /* hlt */:
      case 0x53 /* rdcr */:
      case 0x54 /* wrcr */:
      case 0x55 /* lidt */:
      case 0x56 /* invlpg */:
      case 0x57 /* in */:
      case 0x58 /* out */:
      case 0x59 /* iret */:
      case 0x5a /* sysenter */:
      case 0x5b /* sysexit */:
      {
        // system instructions see exact time and counts, and may change pc, CPL or mode: they
        // run through the semantics table and end the burst
        if (translating) mmu.hits += fetchHits + dataHits;
        fetchHits = 0;
        dataHits = 0;
        m.retiredByRing[cpl] += n - start;
        if (nonRoot) m.retiredNonRoot += n - start;
        start = n;
        m.sync();
        m.pc = pc;
        m.next = next;
        flags = lazyFlags(flags, lk, lx, ly, lr);
        lk = 0;
        m.flags = flags;
        SYSTEM[op](m, w, imm);
        flags = m.flags;
        regs[0] = 0;
        // an instruction that traps to a monitor retires when the monitor returns
        if (m.pendingExit === null) n++;
        pc = m.next;
        system = true;
        break burst;
      }
      default: {
        // every opcode the table assigns has a case (the compiler checks it: `op` is never here);
        // an unassigned opcode whose other bits are all zero ends up here: invalid opcode
        const unassigned: never = op as never;
        throw new GuestFault(Vector.invalidOpcode, 0, 0, `invalid instruction word 0x${(w >>> 0).toString(16).padStart(8, '0')} (opcode 0x${(unassigned as number).toString(16)} unassigned) at 0x${(pc >>> 0).toString(16)}`);
      }
    }
      regs[0] = 0;
      n++;
      pc = next;
      // only system instructions can stop the machine, halt it or make an interrupt deliverable;
      // a page walk (on a TLB miss) advanced the clock too: the checkpoint may come sooner
      if (n >= limit || mmu.walkReferences !== walksSeen) {
        if (mmu.walkReferences !== walksSeen) {
          walksSeen = mmu.walkReferences;
          limit = limitAfterWalk(m.checkpoint, c0, n, IC, walksSeen - w0, WC, limit);
        }
        if (n >= limit) break;
      }
    }
  } catch (e) {
    // a faulting instruction did not retire: time was not advanced and pc still points at it
    if (translating) mmu.hits += fetchHits + dataHits;
    m.retiredByRing[cpl] += n - start;
    if (nonRoot) m.retiredNonRoot += n - start;
    m.sync();
    m.pc = pc;
    m.flags = lazyFlags(flags, lk, lx, ly, lr);
    throw e;
  }
  if (translating) mmu.hits += fetchHits + dataHits;
  m.retiredByRing[cpl] += n - start;
  if (nonRoot) m.retiredNonRoot += n - start;
  m.sync();
  m.pc = pc;
  m.flags = lazyFlags(flags, lk, lx, ly, lr);
  return system;
};
