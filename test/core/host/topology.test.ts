import { expect } from 'chai';
import { topology, topologyProblems } from '../../../core/host/topology';
import { corePower, coreJoules } from '../../../core/host/power';
import { HOST_POWER_TABLES, hostPowerTable } from '../../../core/host/pstates';
import { cyclesToPs, psToCycles } from '../../../core/host/time';
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES } from '../../../core/cost/profile';

describe('core/host', () => {
  it('numbers siblings adjacently on esxi and at + cores on linux', () => {
    const esxi = topology({ sockets: 1, cores: 4, threads: 2, numbering: 'esxi' });
    expect(esxi.lcpus.map((l) => l.core)).to.deep.equal([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(esxi.siblings[0]).to.deep.equal([1]);
    expect(esxi.siblings[2]).to.deep.equal([3]);
    const linux = topology({ sockets: 1, cores: 4, threads: 2, numbering: 'linux' });
    expect(linux.lcpus.map((l) => l.core)).to.deep.equal([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(linux.siblings[0]).to.deep.equal([4]);
    expect(linux.siblings[1]).to.deep.equal([5]);
  });

  it('spans sockets and has no siblings without hyperthreading', () => {
    const t = topology({ sockets: 2, cores: 2, threads: 1, numbering: 'esxi' });
    expect(t.lcpus.map((l) => l.socket)).to.deep.equal([0, 0, 1, 1]);
    expect(t.siblings.every((s) => s.length === 0)).to.equal(true);
    const l = topology({ sockets: 2, cores: 2, threads: 2, numbering: 'linux' });
    expect(l.siblings[1]).to.deep.equal([5]);
    expect(l.lcpus[5].socket).to.equal(0);
    expect(l.lcpus[6].socket).to.equal(1);
  });

  it('refuses bad shapes with a message per field', () => {
    expect(topologyProblems({ sockets: 0, cores: 4, threads: 3, numbering: 'esxi' })).to.have.length(2);
    expect(topologyProblems({ sockets: 1, cores: 4, threads: 2, numbering: 'bsd' as 'esxi' })[0]).to.match(/numbering/);
  });

  it('spreads SPECpower watts over cores and scales dynamic power by V^2 f', () => {
    const t = HOST_POWER_TABLES['core2-2008'];
    const p = corePower(t);
    expect(p.idle).to.be.closeTo(93.7 / 2, 1e-9);
    expect(p.busy[0]).to.be.closeTo(135 / 2, 1e-9);
    // 2.0 GHz at 1.0 V against 3.0 GHz at 1.25 V: (2/3) x 0.64 of the dynamic share
    expect(p.busy[1] - p.idle).to.be.closeTo(((135 - 93.7) / 2) * (2 / 3) * 0.64, 1e-9);
    expect(coreJoules(p, 0, 0.5e12, 1e12)).to.be.closeTo(0.5 * p.busy[0] + 0.5 * p.idle, 1e-9);
  });

  it('has a P-state table for every shipped profile: P0 at its frequency, slower and lower-voltage states after, a source', () => {
    for (const name of PROFILE_NAMES) {
      const profile = loadProfile(name);
      if (isLeft(profile)) throw new Error(profile.left);
      const t = HOST_POWER_TABLES[name];
      expect(t, name).to.not.equal(undefined);
      expect(hostPowerTable(name, profile.right.frequencyHz)).to.equal(t);
      t.pstates.slice(1).forEach((s, i) => {
        expect(s.frequencyHz, `${name} P${i + 1}`).to.be.lessThan(t.pstates[i].frequencyHz);
        expect(s.volts, `${name} P${i + 1}`).to.be.at.most(t.pstates[i].volts);
      });
      expect(t.busyWatts).to.be.greaterThan(t.idleWatts);
      expect(t.source.length, name).to.be.greaterThan(40);
    }
    // the AMD parts: K8's 200 MHz steps down to the 1000 MHz minimum at 1.1 V; Family 10h's 100 MHz x (fid + 16) / 2^did
    expect(HOST_POWER_TABLES['k8-2006'].pstates.map((s) => s.frequencyHz / 1e6)).to.deep.equal([2600, 2400, 2200, 2000, 1800, 1000]);
    expect(HOST_POWER_TABLES['k8-2006'].pstates[5].volts).to.equal(1.1);
    const fam10h = (fid: number, did: number) => (100 * (fid + 16)) / 2 ** did;
    expect(HOST_POWER_TABLES['barcelona-2008'].pstates.map((s) => s.frequencyHz / 1e6)).to.deep.equal([fam10h(7, 0), fam10h(2, 0), fam10h(12, 1), fam10h(7, 1)]);
  });

  it('gives every shipped profile a table whose P0 is its frequency, and others one state', () => {
    expect(hostPowerTable('nehalem-2009', 2.93e9).pstates).to.have.length(4);
    expect(hostPowerTable('nehalem-2009', 2e9).pstates).to.deep.equal([{ frequencyHz: 2e9, volts: 1.1 }]);
  });

  it('converts cycles and picoseconds without losing a cycle', () => {
    expect(cyclesToPs(3, 3e9)).to.equal(1000);
    expect(cyclesToPs(1, 3.8e9)).to.equal(264);
    expect(psToCycles(cyclesToPs(12345, 3.8e9), 3.8e9)).to.equal(12345);
  });
});
