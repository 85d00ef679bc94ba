/**
 * Colour in terminal output, by the common conventions: only on a terminal, never when
 * NO_COLOR is set (https://no-color.org), always when FORCE_COLOR is set (but to 0 or
 * false). Pipes, files and tests get plain text.
 * @category Common
 */

/** Whether to colour what goes to `stream`. */
export const useColour = (stream: { readonly isTTY?: boolean; hasColors?: () => boolean }, env: NodeJS.ProcessEnv): boolean => {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && (stream.hasColors?.() ?? true);
};

/** Text styles; the identity when colour is off. */
export interface Paint {
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly bold: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

/** Styles that colour when `enabled`. */
export const paint = (enabled: boolean): Paint =>
  enabled ? { red: sgr(31, 39), yellow: sgr(33, 39), bold: sgr(1, 22) } : { red: (s) => s, yellow: (s) => s, bold: (s) => s };
