/**
 * The shipped guest images assembled at build time: the kernel's builds and every workload,
 * written by `npm run build` to `images.json` beside the compiled guest code
 * (core/guest/write-prebuilt-images.ts). Assembling them cold took 0.2-0.5 s of every command
 * that simulates (a third of a single `ringlab run`), in every worker thread again.
 *
 * The file exists only in the build: the command runs the build only when it was built from
 * the current sources (tools/launch.js checks the fingerprint, which covers the guest's `.s`
 * files), so the images are those the sources assemble to. From the sources (tests,
 * notebooks, development) there is no file and everything is assembled as before.
 * @category Guest
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Program } from '../asm';

/** Where the build writes the images (beside this module, so only in dist/). */
export const PREBUILT_IMAGES_FILE = path.join(__dirname, 'images.json');

/** A program as JSON: the bytes in base64, source-map files relative to the guest directory. */
export interface SerializedProgram {
  readonly origin: number;
  readonly bytes: string;
  readonly symbols: Record<string, number>;
  readonly files: readonly string[];
  /** per entry: address, index into `files`, line */
  readonly sourceMap: readonly (readonly [number, number, number])[];
}

/** Encode a program; source files under `base` are stored relative to it. */
export const serializeProgram = (p: Program, base: string): SerializedProgram => {
  const files: string[] = [];
  const index = new Map<string, number>();
  const fileIndex = (f: string): number => {
    let i = index.get(f);
    if (i === undefined) {
      i = files.length;
      const rel = path.relative(base, f);
      files.push(path.isAbsolute(f) && !rel.startsWith('..') ? rel.split(path.sep).join('/') : f);
      index.set(f, i);
    }
    return i;
  };
  return {
    origin: p.origin,
    bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength).toString('base64'),
    symbols: p.symbols,
    sourceMap: p.sourceMap.map((e) => [e.address, fileIndex(e.file), e.line] as const),
    files,
  };
};

/** Decode a program; relative source files are taken under `base`. */
export const deserializeProgram = (s: SerializedProgram, base: string): Program => {
  const files = s.files.map((f) => (path.isAbsolute(f) ? f : path.join(base, ...f.split('/'))));
  return {
    origin: s.origin,
    bytes: new Uint8Array(Buffer.from(s.bytes, 'base64')),
    symbols: { ...s.symbols },
    sourceMap: s.sourceMap.map(([address, file, line]) => ({ address, file: files[file], line })),
  };
};

/** The key of a kernel build's image. */
export const kernelImageKey = (build: string, batching: boolean): string => (build === 'paravirt' ? `kernel/paravirt/${batching}` : 'kernel/native');

/** The key of a workload's image. */
export const workloadImageKey = (name: string): string => `workload/${name}`;

/** The file's contents: images by key. */
export type PrebuiltImages = Record<string, SerializedProgram>;

/** The images in `file`, or null if there is none (or it is not an images file: then everything is assembled). */
export const readPrebuiltImages = (file: string): PrebuiltImages | null => {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as PrebuiltImages) : null;
  } catch {
    return null;
  }
};

let images: PrebuiltImages | null | undefined;

/** The build's image of `key` (a fresh copy), or undefined: no images file (running from the sources) or no such image. */
export const prebuiltImage = (key: string): Program | undefined => {
  if (images === undefined) images = readPrebuiltImages(PREBUILT_IMAGES_FILE);
  const s = images?.[key];
  return s === undefined ? undefined : deserializeProgram(s, path.dirname(PREBUILT_IMAGES_FILE));
};
