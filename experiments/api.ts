/**
 * ringlab's public API: what `import { runOne, STRATEGIES } from 'ringlab'` gives a notebook,
 * a strategy module kept outside the repository, or another program. The package's entry
 * point (index.js) loads this module, compiled or from the sources; its declarations are
 * generated at build time into dist/types/ (package.json `types`). Everything else is
 * internal and may change without notice.
 * @category API
 */

// running: one run compared with native, or a whole experiment spec in this process
export { runOne, DEFAULT_BUDGET, DEFAULT_CYCLE_BUDGET, type RunSpec } from './run/run-one';
export type { RunResult, RunEventsView, Tally } from './run/result';
export { runSpec, type InProcessResults } from './experiment/in-process';
export type { ResultRow, HostRow, ExperimentRow } from './experiment/result-codec';
export type { ExperimentSpec } from './spec/codec';
export type { MachineSettings } from './run/machine-settings';

// the host layer: many VMs' vCPUs on a modelled host (ringlab host SPEC)
export { runHostSpec, type HostResult, type HostVmResult } from './host/run-host';
export { parseHostSpec, loadHostSpec, type HostSpec } from './host/spec';
export { renderHost } from './host/render';
export { mergeStretches, type TimelineStretch } from './host/timeline';
export { hostCharts, HOST_CHART_BUILDERS, type HostChartName, type HostChartInput } from './charts/host-charts';

// what can run: strategies, workloads, cost profiles, ISA variants
export { STRATEGIES, STRATEGY_NAMES, type StrategyName } from '../strategies/registry';
export { WORKLOADS, WORKLOAD_NAMES, type WorkloadName } from '../core/guest/workloads';
export { PROFILE_NAMES, DEFAULT_PROFILE, loadProfile, type CostProfile } from '../core/cost/profile';
export type { IsaVariant } from '../core/isa/variant';

// Popek and Goldberg: the ISA's classification and the demonstrations of its flaws
export { isaReport, renderIsaReport, type IsaReport } from './cli/commands/isa';

// charts: vega-lite specs from result rows, rendered headless to SVG or PNG
export { experimentCharts, CAUSE_COLOURS, type ChartName, type SweepSettings } from './charts/from-results';
export { configColours, type ColourMap } from './charts/colours';
export { renderSvg } from './charts/render';
export { svgToPng } from './charts/png';

// writing a strategy: the interface, its options, and the machinery the examples use
export { defineStrategy, STRATEGY_API_VERSION, type Strategy, type StrategyContext, type Vmm } from '../strategies/strategy';
export { choice, integer, type OptionSpecs } from '../strategies/options';
export { VMM_COUNTERS, MONITOR_COUNTERS, SHADOW_PAGING_COUNTERS } from '../strategies/shared/counters';
export { buildIdentityNestedTables, nestedTablesBytes } from '../strategies/shared/nested-tables';
export type { ReservedRange, GuestAccess } from '../strategies/reserved-memory';
export { createVmcs, type Vmcs } from '../core/vmx/vmcs';
export type { VmExit, VmExitReason } from '../core/vmx/exits';
export type { Cpu } from '../core/cpu/cpu';
export { nextPending } from '../core/devices/priority';
export { Flag } from '../core/isa/table';

// provenance
export { RINGLAB_VERSION } from './common/version';
