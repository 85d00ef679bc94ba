/**
 * The two flavours of hardware assistance, as the `vendor` option of `hardware-assisted`:
 * Intel VT-x (a VMCS with exit controls, VMREAD/VMWRITE, VPID, EPT) and AMD-V (a VMCB with
 * intercept bits, VMRUN/#VMEXIT, ASIDs, NPT). The exit-handler table is shared: the model's
 * exits mean the same under both, only the control block, its accesses and the costs
 * differ. A profile is one vendor's part; the other vendor's flavour is refused on it.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';
import { loadProfile, PROFILE_NAMES, vendorOf, type CostProfile, type Vendor } from '../../core/cost/profile';
import { isLeft } from 'fp-ts/Either';
import { crMask, createVmcs, type Vmcs } from '../../core/vmx/vmcs';
import { createVmcb, Intercept1, Intercept2, isVmcb } from '../../core/vmx/vmcb';
import { choice } from '../options';
import { useVmcb } from './vmcs-access';

/** The `vendor` option. */
export const VENDOR_OPTION = choice(['intel', 'amd'], 'intel', "the hardware extension's flavour: intel (VT-x: VMCS, VPID, EPT) or amd (AMD-V: VMCB, ASIDs, NPT); must match the profile's vendor");

/** Shipped profiles of `vendor` that have nested paging if `nested` (any otherwise), in chronological order. */
export const profilesThatFit = (vendor: Vendor, nested: boolean): string[] =>
  PROFILE_NAMES.filter((n) => {
    const p = loadProfile(n);
    return !isLeft(p) && vendorOf(p.right) === vendor && p.right.features.vtx && (!nested || p.right.features.nestedPaging);
  });

/** Why `vendor=` does not apply to a profile of the other vendor (naming the profiles that fit), or null. */
export const vendorMismatch = (vendor: Vendor, p: CostProfile): string | null =>
  vendorOf(p) === vendor
    ? null
    : `option vendor=${vendor} does not apply to profile '${p.name}', an ${vendorOf(p) === 'amd' ? 'AMD' : 'Intel'} part (choose vendor=${vendorOf(p)} there); profiles that fit vendor=${vendor}: ${profilesThatFit(vendor, false).join(', ')}`;

/**
 * A fresh control block for one CPU's guest: a VMCS, or a VMCB (whose field accesses the
 * handlers then count as VMCB loads and stores) intercepting VMMCALL and shutdown, as
 * every SVM VMM does.
 */
export const createControlBlock = (vendor: Vendor, cpu: Cpu, entry: number): Vmcs => {
  if (vendor === 'intel') return createVmcs(entry);
  const vmcb = createVmcb(entry);
  vmcb.control.intercept1 |= Intercept1.SHUTDOWN;
  vmcb.control.intercept2 |= Intercept2.VMMCALL;
  useVmcb(cpu);
  return vmcb;
};

/**
 * Under shadow paging the guest must read its own cr0, not the pager's: VT-x answers from
 * the CR0 read shadow; a VMCB has none, so CR0 reads (RDCR cr0 and SMSW) are intercepted.
 */
export const hideGuestCr0 = (vmcs: Vmcs): void => {
  if (isVmcb(vmcs)) vmcs.controls.crReadExiting |= crMask('cr0');
  else vmcs.cr0ReadShadow = 0;
};

/**
 * Whether `tpr-shadow=auto` means on: with nested paging on Intel (the TPR shadow came
 * with those parts), always on AMD (the VMCB's V_TPR virtualizes cr8 from the first SVM parts).
 */
export const tprShadowByDefault = (vendor: Vendor, p: CostProfile): boolean => vendor === 'amd' || p.features.nestedPaging;
