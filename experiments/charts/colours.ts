/**
 * Colours of chart categories, derived from the categories present so that every one gets
 * its own colour however many there are: strategy configurations as shades of their
 * strategy's hue (one map for every chart and the report), cycle causes as shades of their
 * family's hue, other categories from a categorical palette.
 * @category Charts
 */
import { STRATEGY_NAMES } from '../../strategies/registry';

/** A vega-lite colour scale: the i-th domain value is drawn in the i-th range colour. */
export interface ColourMap {
  readonly domain: readonly string[];
  readonly range: readonly string[];
}

/** Tableau 10 (vega's `tableau10`), the base hues. */
const TABLEAU10 = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Tableau 20 (vega's `tableau20`): pairs of a hue and its light tint. */
const TABLEAU20 = [
  '#4c78a8', '#9ecae9', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#b79a20', '#f2cf5b', '#439894', '#83bcb6',
  '#e45756', '#ff9d98', '#79706e', '#bab0ac', '#d67195', '#fcbfd2', '#b279a2', '#d6a5c9', '#9e765f', '#d8b5a5',
];

const hexToHsl = (hex: string): [number, number, number] => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h * 60, s, l];
};

const hslToHex = (h: number, s: number, l: number): string => {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
};

/**
 * `count` shades of a base colour, dark to light; the base itself when count is 1. Many
 * shades also turn the hue a little, so neighbours stay apart.
 */
const shades = (base: string, count: number): string[] => {
  if (count <= 1) return [base].slice(0, count);
  const [h, s, l] = hexToHsl(base);
  const lo = Math.max(0.22, l - 0.22);
  const hi = Math.min(0.82, l + 0.25);
  return Array.from({ length: count }, (_, i) => {
    const t = i / (count - 1);
    return hslToHex((h + (count > 4 ? (t - 0.5) * 30 : 0) + 360) % 360, s, lo + t * (hi - lo));
  });
};

/** `count` distinct categorical colours: Tableau 10 or 20, then evenly spread hues, each dark and light. */
export const categorical = (count: number): string[] => {
  if (count <= TABLEAU10.length) return TABLEAU10.slice(0, count);
  if (count <= TABLEAU20.length) return TABLEAU20.slice(0, count);
  return Array.from({ length: count }, (_, i) => hslToHex((Math.floor(i / 2) * 360) / Math.ceil(count / 2), 0.55, i % 2 ? 0.7 : 0.42));
};

/** Colours for arbitrary categories, in the order given. */
export const categoryColours = (categories: readonly string[]): ColourMap => {
  const domain = [...new Set(categories)];
  return { domain, range: categorical(domain.length) };
};

/** The base colour of each built-in strategy (registry order), then of any other strategy met. */
const STRATEGY_BASE = ['#79706e', '#59a14f', '#f28e2b', '#b07aa1', '#4e79a7'];
const EXTRA_BASE = ['#e15759', '#76b7b2', '#edc948', '#ff9da7', '#9c755f'];

/**
 * One colour per configuration label: each strategy has its own hue (the same in every
 * experiment), its configurations are shades of it, grouped in the legend by strategy.
 */
export const configColours = (configs: readonly { readonly config: string; readonly strategy: string }[]): ColourMap => {
  const byStrategy = new Map<string, string[]>();
  for (const c of configs) {
    const list = byStrategy.get(c.strategy) ?? [];
    if (!list.includes(c.config)) list.push(c.config);
    byStrategy.set(c.strategy, list);
  }
  const builtIn = STRATEGY_NAMES as readonly string[];
  const order = [...builtIn.filter((s) => byStrategy.has(s)), ...[...byStrategy.keys()].filter((s) => !builtIn.includes(s))];
  const domain: string[] = [];
  const range: string[] = [];
  let extra = 0;
  for (const s of order) {
    const i = builtIn.indexOf(s);
    const base = i >= 0 && i < STRATEGY_BASE.length ? STRATEGY_BASE[i] : EXTRA_BASE[extra++ % EXTRA_BASE.length];
    const labels = byStrategy.get(s)!;
    domain.push(...labels);
    range.push(...shades(base, labels.length));
  }
  return { domain, range };
};

/**
 * Families of cycle causes, matched by name; a cause that matches none falls in the last
 * ("other"), so a new cause still gets a colour of its own. Hues follow the strategies'
 * where a family is one strategy's mechanism.
 */
const CAUSE_FAMILIES: readonly { readonly name: string; readonly match: RegExp; readonly base: string }[] = [
  { name: 'guest execution', match: /guest|page walk|TLB/i, base: '#79706e' },
  { name: 'guest kernel entries', match: /exception|interrupt|system call|privileged/i, base: '#b79a20' },
  { name: 'devices', match: /I\/O|port|device/i, base: '#9c755f' },
  { name: 'software monitor', match: /monitor|emulat/i, base: '#59a14f' },
  { name: 'VM exits', match: /VM exit|vmexit/i, base: '#f28e2b' },
  { name: 'paravirtual', match: /hypercall|upcall/i, base: '#b07aa1' },
  { name: 'shadow paging', match: /shadow|hidden|trace fault/i, base: '#e15759' },
  { name: 'binary translation', match: /translat|callout/i, base: '#4e79a7' },
  { name: 'other', match: /.*/, base: '#76b7b2' },
];

/** The family a cycle cause belongs to. */
export const causeFamily = (cause: string): string => CAUSE_FAMILIES.find((f) => f.match.test(cause))!.name;

/** Colours for cycle causes: grouped by family (legend and stacking order), each family shades of one hue. */
export const causeColours = (causes: readonly string[]): ColourMap => {
  const unique = [...new Set(causes)];
  const domain: string[] = [];
  const range: string[] = [];
  for (const f of CAUSE_FAMILIES) {
    const members = unique.filter((c) => causeFamily(c) === f.name);
    domain.push(...members);
    range.push(...shades(f.base, members.length));
  }
  return { domain, range };
};
