import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isRight } from 'fp-ts/Either';
import { assembleKernel, buildKernel, GUEST_DIR } from '../../../core/guest/kernel-image';
import { deserializeProgram, PREBUILT_IMAGES_FILE, prebuiltImage, readPrebuiltImages, serializeProgram } from '../../../core/guest/prebuilt-images';
import { assembleWorkload, buildWorkload, WORKLOAD_NAMES } from '../../../core/guest/workloads';
import { writePrebuiltImages } from '../../../core/guest/write-prebuilt-images';
import { tmpdir } from '../../experiments/cli/helpers';

describe('prebuilt guest images (core/guest/prebuilt-images.ts)', () => {
  const kernel = assembleKernel('paravirt', { batching: false });
  if (!isRight(kernel)) throw new Error('the kernel does not assemble');

  it('round-trip: a program decodes to what was encoded, its source files relative to the guest directory', () => {
    const s = serializeProgram(kernel.right, GUEST_DIR);
    expect(s.files.every((f) => !path.isAbsolute(f))).to.equal(true);
    expect(s.files).to.include('kernel/kernel.s');
    expect(deserializeProgram(JSON.parse(JSON.stringify(s)), GUEST_DIR)).to.deep.equal(kernel.right);
    // elsewhere, the same files under another directory
    const moved = deserializeProgram(s, '/elsewhere/guest');
    expect(moved.sourceMap[0].file).to.equal(path.join('/elsewhere/guest', 'kernel', 'kernel.s'));
  });

  it('writes every kernel build and workload, which read back as the sources assemble them', () => {
    const file = path.join(tmpdir(), 'images.json');
    expect(writePrebuiltImages(file)).to.equal(3 + WORKLOAD_NAMES.length);
    const images = readPrebuiltImages(file)!;
    expect(deserializeProgram(images['kernel/paravirt/false'], GUEST_DIR)).to.deep.equal(kernel.right);
    for (const name of WORKLOAD_NAMES) {
      const fresh = assembleWorkload(name);
      if (!isRight(fresh)) throw new Error(`${name} does not assemble`);
      expect(deserializeProgram(images[`workload/${name}`], GUEST_DIR), name).to.deep.equal(fresh.right);
    }
  });

  it('from the sources there is no images file: the guest is assembled, and the same', () => {
    expect(fs.existsSync(PREBUILT_IMAGES_FILE)).to.equal(false);
    expect(prebuiltImage('kernel/native')).to.equal(undefined);
    expect(buildKernel('paravirt', { batching: false })).to.deep.equal(kernel);
    expect(buildWorkload('syscall')).to.deep.equal(assembleWorkload('syscall'));
  });

  it('a missing or unreadable images file is no images (everything is assembled)', () => {
    const dir = tmpdir();
    expect(readPrebuiltImages(path.join(dir, 'none.json'))).to.equal(null);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    expect(readPrebuiltImages(path.join(dir, 'bad.json'))).to.equal(null);
  });
});
