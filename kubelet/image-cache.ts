// A short-lived cache of image lookups. Starting a burst of pods from one
// image would otherwise read the image store once per container. Only images
// found are cached, so an image built or imported a moment ago is seen at once.

import type { ImageInfo, ImageService } from '../runtime/cri.js';

export class ImageStatusCache {
  private readonly found = new Map<string, { info: ImageInfo; at: number }>();

  constructor(private readonly images: ImageService, private readonly ttlMs = 5000) {}

  /** Looks an image up. With fresh set it skips the cache, so it sees an image removed a moment ago. */
  async status(reference: string, fresh = false): Promise<ImageInfo | undefined> {
    const cached = this.found.get(reference);
    if (!fresh && cached !== undefined && Date.now() - cached.at < this.ttlMs) return cached.info;
    const info = await this.images.imageStatus(reference);
    if (info === undefined) this.found.delete(reference);
    else this.found.set(reference, { info, at: Date.now() });
    return info;
  }
}
