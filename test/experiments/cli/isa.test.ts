import { expect } from 'chai';
import { cli } from './helpers';

describe('CLI: isa', () => {
  it('reports the default ISA as not virtualizable, with every violation demonstrated', async () => {
    const r = await cli('isa', '--json');
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.out);
    expect(j.virtualizable).to.equal(false);
    expect(j.hybridVirtualizable).to.equal(false);
    expect(j.violations.map((v: { mnemonic: string }) => v.mnemonic).sort()).to.deep.equal(['iret', 'popf', 'pushf', 'rdcpl', 'sidt', 'smsw']);
    for (const v of j.violations) {
      expect(v.demonstrated, v.mnemonic).to.equal(true);
      expect(['control-sensitive', 'behavior-sensitive']).to.include(v.kind);
    }
    const kinds = Object.fromEntries(j.violations.map((v: { mnemonic: string; kind: string }) => [v.mnemonic, v.kind]));
    expect(kinds).to.deep.equal({
      pushf: 'behavior-sensitive',
      popf: 'control-sensitive',
      sidt: 'behavior-sensitive',
      smsw: 'behavior-sensitive',
      rdcpl: 'behavior-sensitive',
      iret: 'control-sensitive',
    });
  });

  it('reports the virtualizable variant as satisfying Theorems 1 and 3, with the demonstrations agreeing', async () => {
    const j = JSON.parse((await cli('isa', '--variant', 'virtualizable', '--json')).out);
    expect(j.virtualizable).to.equal(true);
    expect(j.hybridVirtualizable).to.equal(true);
    expect(j.violations).to.deep.equal([]);
    expect(j.demonstrations).to.have.length(6);
    for (const d of j.demonstrations) expect(d.differs, d.mnemonic).to.equal(false);
  });

  it('says which sensitive instructions exit under VT-x and under AMD-V (SMSW only with the CR0 read intercept)', async () => {
    const j = JSON.parse((await cli('isa', '--json')).out);
    const exits = Object.fromEntries(j.sensitive.map((s: { mnemonic: string; exits: unknown }) => [s.mnemonic, s.exits]));
    expect(exits.smsw).to.deep.equal({ vmx: 'never', svm: 'control' });
    expect(exits.in).to.deep.equal({ vmx: 'control', svm: 'control' });
    expect(exits.popf).to.deep.equal({ vmx: 'never', svm: 'never' });
  });

  it('prints a readable report and refuses unknown variants', async () => {
    const r = await cli('isa');
    expect(r.out).to.contain('Theorem 1').and.contain('pushf').and.contain('differs');
    const bad = await cli('isa', '--variant', 'magic');
    expect(bad.code).to.equal(2);
    expect(bad.err).to.contain('magic').and.contain('default, virtualizable');
  });
});
