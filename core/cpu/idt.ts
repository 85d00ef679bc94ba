/**
 * Interrupt descriptor table layout. The table holds 256 gates of 8 bytes at the linear
 * address loaded by LIDT: word 0 = handler address, word 1 = gate flags.
 * @category CPU
 */

/** Gate flag bits. */
export const Gate = {
  present: 1 << 0,
  /** bits 1-2: the most privileged... least privileged ring allowed to use INT n on this gate */
  dplShift: 1,
  /** bits 3-4: the ring the handler runs in */
  ringShift: 3,
  /** keep IF on entry (trap gate) instead of clearing it (interrupt gate) */
  trap: 1 << 5,
} as const;

/** Size of one gate in bytes. */
export const GATE_SIZE = 8;

/** Vectors whose delivery pushes an error code. */
export const HAS_ERROR_CODE: ReadonlySet<number> = new Set([8, 13, 14]);

/** Build a gate's flag word. */
export const gateFlags = (o: { dpl: number; ring: number; trap?: boolean }): number =>
  Gate.present | ((o.dpl & 3) << Gate.dplShift) | ((o.ring & 3) << Gate.ringShift) | (o.trap ? Gate.trap : 0);
