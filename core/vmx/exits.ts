/**
 * VM exits of the hardware virtualization extension, as a discriminated union of reasons.
 * Each variant carries its qualification: what the VMM needs to handle it without decoding
 * the guest instruction again (as VT-x's exit qualification does).
 * @category VMX
 */

/** An event that was being delivered when an exit happened. */
export interface VectoringInfo {
  readonly vector: number;
  readonly errorCode?: number;
  readonly returnPc: number;
  readonly software: boolean;
  /** an external interrupt (neither an exception nor INT n) */
  readonly external?: boolean;
}

/** Why the guest left non-root mode, with the exit qualification. */
export type VmExit =
  | { readonly reason: 'hlt'; readonly pc: number; readonly nextPc: number }
  | { readonly reason: 'io'; readonly pc: number; readonly nextPc: number; readonly port: number; readonly direction: 'in' | 'out'; readonly register: number }
  | { readonly reason: 'cr-access'; readonly pc: number; readonly nextPc: number; readonly cr: number; readonly direction: 'read' | 'write'; readonly register: number }
  | { readonly reason: 'invlpg'; readonly pc: number; readonly nextPc: number; readonly address: number }
  | { readonly reason: 'lidt'; readonly pc: number; readonly nextPc: number; readonly base: number }
  | { readonly reason: 'vmcall'; readonly pc: number; readonly nextPc: number }
  /** pause-loop exiting: a spin of PAUSEs outlasted the window */
  | { readonly reason: 'pause'; readonly pc: number; readonly nextPc: number }
  | {
      readonly reason: 'exception';
      readonly pc: number;
      readonly vector: number;
      readonly errorCode: number;
      readonly faultAddress: number;
      /** the event whose delivery faulted, which the VMM must re-inject (IDT-vectoring information) */
      readonly vectoring?: VectoringInfo;
    }
  | { readonly reason: 'external-interrupt'; readonly pc: number }
  | { readonly reason: 'interrupt-window'; readonly pc: number }
  | {
      readonly reason: 'ept-violation';
      readonly pc: number;
      readonly guestPhysical: number;
      readonly access: 'read' | 'write' | 'fetch';
      /** the event being delivered when the access faulted (IDT-vectoring information) */
      readonly vectoring?: VectoringInfo;
    }
  | { readonly reason: 'triple-fault'; readonly pc: number; readonly detail: string };

/** Name of an exit reason. */
export type VmExitReason = VmExit['reason'];
