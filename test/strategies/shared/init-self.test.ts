/**
 * A kernel that sends an INIT to its own CPU through the ICR leaves it waiting for a
 * start-up IPI, under every strategy as on the native machine. Found by `ringlab fuzz
 * --kernel-mode --programs 10000 --seed 1` (program 4818): under hardware assistance the
 * VMM emulated the ICR write, the INIT reached the vCPU, and the VM entry that followed
 * cleared its halt (it took the VMCS's activity state alone), so the guest ran on.
 */
import { expect } from 'chai';
import { icrValue, IcrMode, IcrShorthand, Port } from '../../../core/devices/ports';
import { runKernel } from '../kernel-fixture';

const KERNEL = `
        li sp, 0x9000
        li r1, ${icrValue(IcrMode.init, 0, IcrShorthand.self)}
        out ${Port.icr}, r1
        li r1, 7
        out ${Port.power}, r1
        hlt
`;

describe('an INIT to itself', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted', 'hybrid'])
    it(`${strategy}: the CPU waits for a start-up IPI (a halt that nothing ends), as natively`, () => {
      const r = runKernel(strategy, KERNEL);
      expect(r.stop.kind).to.equal('halted');
      expect(r.exitCode).to.equal(null);
      expect(r.equivalent).to.equal(true);
    });
});
