/**
 * The terminal form of a host run: an esxtop-like table per VM, its vCPUs and helper worlds, then the logical
 * CPUs, the cores, energy and time.
 * @category Experiments
 */
import { formatNumber, table } from '../common/format';
import type { HostResult } from './run-host';

const p = (v: number) => v.toFixed(1);

/** Render a host result. */
export const renderHost = (r: HostResult): string => {
  const rows = r.vms.flatMap((vm) =>
    [
      [vm.name, p(vm.group['%USED']), p(vm.group['%RUN']), p(vm.group['%RDY']), p(vm.group['%CSTP']), p(vm.group['%WAIT']), p(vm.group['%IDLE']), p(vm.group['%MLMTD']), '', '', `VM: ${vm.perVcpu.length} vCPU${vm.perVcpu.length === 1 ? '' : 's'}, ${vm.helpers.length} helper${vm.helpers.length === 1 ? '' : 's'}`],
    ].concat(vm.perVcpu.map((c, i) => [
      `${vm.name}.vcpu${i}`,
      p(c['%USED']),
      p(c['%RUN']),
      p(c['%RDY']),
      p(c['%CSTP']),
      p(c['%WAIT']),
      p(c['%IDLE']),
      p(c['%MLMTD']),
      formatNumber(vm.progress),
      vm.slowdown === null ? 'n/a' : `${vm.slowdown.toFixed(3)}x`,
      vm.stop ?? 'running at the end',
    ]).concat(
      vm.helpers.map((w) => [w.name, p(w['%USED']), p(w['%RUN']), p(w['%RDY']), p(w['%CSTP']), p(w['%WAIT']), p(w['%IDLE']), p(w['%MLMTD']), '', '', w.role]),
    )),
  );
  return [
    `host       ${r.profile}, scheduler ${r.scheduler}, governor ${r.governor}`,
    `time       ${formatNumber(r.seconds * 1e3)} ms modelled, average frequency ${formatNumber(r.averageFrequencyHz / 1e6)} MHz, energy ${formatNumber(r.energyJoules)} J`,
    '',
    table(['world', '%USED', '%RUN', '%RDY', '%CSTP', '%WAIT', '%IDLE', '%MLMTD', 'progress (op/s)', 'slowdown', 'stop'], rows),
    '',
    table(['PCPU', 'core', '%UTIL', '%USED'], r.pcpus.map((c) => [c.id, c.core, p(c['%UTIL']), p(c['%USED'])])),
    '',
    table(['core', 'CORE UTIL'], r.cores.map((c) => [c.core, p(c['CORE UTIL'])])),
    '',
    `host       ${formatNumber(r.host.wallMs)} ms of wall time`,
  ].join('\n');
};
