/**
 * `npm run build`'s last step before the fingerprint (tools/build.js): assemble the shipped
 * guest images (every kernel build, every workload) with the compiled assembler and write
 * them to the build's PREBUILT_IMAGES_FILE (see core/guest/prebuilt-images.ts). An image that does not
 * assemble is left out: the command assembles it at run time and reports its errors there.
 * @category Guest
 */
import * as fs from 'fs';
import * as path from 'path';
import { isRight } from 'fp-ts/Either';
import { assembleKernel, GUEST_DIR, type KernelBuild } from './kernel-image';
import { kernelImageKey, serializeProgram, workloadImageKey, type PrebuiltImages } from './prebuilt-images';
import { assembleWorkload, WORKLOAD_NAMES } from './workloads';

/** The kernel builds the command can ask for: native, and paravirtual with and without batching. */
const KERNEL_BUILDS: readonly { build: KernelBuild; batching: boolean }[] = [
  { build: 'native', batching: true },
  { build: 'paravirt', batching: true },
  { build: 'paravirt', batching: false },
];

/** Assemble every shipped image (from the sources under GUEST_DIR), keyed as prebuiltImage looks them up. */
export const assembleShippedImages = (): PrebuiltImages => {
  const out: PrebuiltImages = {};
  for (const { build, batching } of KERNEL_BUILDS) {
    const r = assembleKernel(build, { batching });
    if (isRight(r)) out[kernelImageKey(build, batching)] = serializeProgram(r.right, GUEST_DIR);
  }
  for (const name of WORKLOAD_NAMES) {
    const r = assembleWorkload(name);
    if (isRight(r)) out[workloadImageKey(name)] = serializeProgram(r.right, GUEST_DIR);
  }
  return out;
};

/**
 * Write the shipped images to `file` (the build passes PREBUILT_IMAGES_FILE of its compiled
 * copy; there is no default, so nothing writes one into the sources); returns how many.
 */
export const writePrebuiltImages = (file: string): number => {
  const images = assembleShippedImages();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(images));
  return Object.keys(images).length;
};
