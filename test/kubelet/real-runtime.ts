// A kubelet harness on the real runtime: its own data dir, cgroup root,
// bridge and pod CIDR, and a busybox image named `busybox`. Needs root.

import type { ImageInfo, ImageService } from '../../runtime/cri.js';
import type { Runtime } from '../../runtime/runtime.js';
import { newTestRuntime } from '../runtime/fixtures.js';
import { startHarness, type Harness } from './fixtures.js';
import type { KubeletOptions } from '../../kubelet/kubelet.js';
import type { FakeImages } from '../runtime/fixtures.js';

export const isRoot = process.getuid?.() === 0;

/** Implements the image half of the CRI with the test's image resolver. */
function withImageService(runtime: Runtime, images: FakeImages): Runtime & ImageService {
  const status = async (reference: string): Promise<ImageInfo | undefined> => {
    const image = await images.resolve(reference);
    return image && { id: image.id, repoTags: [reference], size: 0 };
  };
  return Object.assign(runtime, {
    imageStatus: status,
    listImages: async () => [],
    removeImage: async () => undefined,
  });
}

export async function startRealHarness(kubelet: Partial<KubeletOptions> = {}): Promise<Harness & { podCIDR: string }> {
  const test = await newTestRuntime();
  try {
    const harness = await startHarness({ runtime: withImageService(test.runtime, test.images), kubelet: { podCIDR: test.options.podCIDR, ...kubelet } });
    const close = harness.close;
    return Object.assign(harness, {
      podCIDR: test.options.podCIDR ?? '',
      close: async () => {
        await close();
        await test.dispose();
      },
    });
  } catch (error) {
    await test.dispose();
    throw error;
  }
}
