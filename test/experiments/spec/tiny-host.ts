/** A tiny host spec for tests of the hosts axis. */
const vm = (name: string) => ({ name, strategy: 'hardware-assisted', workload: 'compute', params: { n: 10 } });
/** A tiny host spec: one logical CPU, two VMs, 2 modelled ms in slices of 0.5 ms. */
export const TINY_HOST = {
  host: { sockets: 1, cores: 1, threads: 1, numbering: 'esxi', profile: 'modern', governor: 'performance' },
  scheduler: { name: 'esx', quantumMs: 0.5 },
  until: { seconds: 0.002 },
  vms: [vm('a'), vm('b')],
};
