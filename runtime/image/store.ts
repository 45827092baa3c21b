// The image store: content-addressed blobs, unpacked layers and an index of
// references under <dataDir>/images/. It is the runtime's ImageResolver (an
// image's config and its layer dirs, the lowerdirs of a container's rootfs)
// and its CRI ImageService (list, status, remove).
//
// An image becomes visible only when its reference is written to index.json,
// after its blobs and layers are complete. A build or import that is
// interrupted therefore leaves nothing half-visible, and open() clears its
// leftovers.

import { access, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../api/log.js';
import type { ImageInfo, ImageService } from '../cri.js';
import type { ImageResolver, ResolvedImage } from '../image-resolver.js';
import { BlobStore } from './blob-store.js';
import { type Digest, isDigest } from './digest.js';
import { StoreLayout } from './layout.js';
import { type LayerRecord, LayerStore } from './layer-store.js';
import { processAlive } from './lock.js';
import { type ImageConfigFile, type ImageManifest, mediaTypes } from './oci.js';
import { InvalidReferenceError, parseReference, formatReference } from './reference.js';
import { ReferenceIndex } from './reference-index.js';

const logger = createLogger('image-store');

export interface StoredImage {
  /** The image id: the digest of its config blob. */
  id: Digest;
  manifestDigest: Digest;
  /** Every `repository:tag` that names this image. */
  references: string[];
  configFile: ImageConfigFile;
  /** Bottom layer first. */
  layers: LayerRecord[];
  /** Bytes of file content over all layers, as `docker images` counts SIZE. */
  size: number;
}

export interface CommitImageOptions {
  configFile: ImageConfigFile;
  layers: LayerRecord[];
  /** References to point at the image; each is normalised. */
  references: string[];
  /** The config's exact bytes when they must be kept (an imported image keeps its id); configFile serialised otherwise. */
  configBytes?: Buffer;
}

export class ImageNotFoundError extends Error {
  constructor(reference: string) {
    super(`image "${reference}" not found`);
    this.name = 'ImageNotFoundError';
  }
}

/**
 * Keeps layers alive while a build or import that uses them runs, so that a
 * concurrent `rm` cannot collect them before the new image is tagged. A lease
 * lives in tmp/, so it ends with its process.
 */
export class Lease {
  private readonly diffIDs = new Set<Digest>();

  constructor(private readonly dir: string) {}

  async add(diffIDs: Iterable<Digest>): Promise<void> {
    for (const diffID of diffIDs) this.diffIDs.add(diffID);
    // Written whole and renamed, because `rm` in another process may read it at any time.
    const temp = path.join(this.dir, 'layers.json.tmp');
    await writeFile(temp, JSON.stringify([...this.diffIDs]));
    await rename(temp, path.join(this.dir, 'layers.json'));
  }

  async release(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export class ImageStore implements ImageResolver, ImageService {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  readonly index: ReferenceIndex;

  private constructor(readonly layout: StoreLayout) {
    this.blobs = new BlobStore(layout);
    this.layers = new LayerStore(layout, this.blobs);
    this.index = new ReferenceIndex(layout);
  }

  /** Opens (creating if needed) the store under <dataDir>/images and clears leftovers of dead processes. */
  static async open(dataDir: string): Promise<ImageStore> {
    const store = new ImageStore(new StoreLayout(dataDir));
    await store.layout.create();
    await access(store.layout.ociLayoutFile).catch(() =>
      writeFile(store.layout.ociLayoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }) + '\n'));
    await store.layout.removeStaleTempDirs();
    return store;
  }

  // --- reading ---

  /** Loads the image a manifest describes; throws if any part is missing. */
  async loadImage(manifestDigest: Digest, references: string[] = []): Promise<StoredImage> {
    const manifest = await this.blobs.readJson<ImageManifest>(manifestDigest);
    const configFile = await this.blobs.readJson<ImageConfigFile>(manifest.config.digest);
    const layers: LayerRecord[] = [];
    for (const diffID of configFile.rootfs.diff_ids) {
      const layer = await this.layers.get(diffID);
      if (!layer) throw new Error(`load image ${manifestDigest}: layer ${diffID} is missing`);
      layers.push(layer);
    }
    const size = layers.reduce((sum, layer) => sum + layer.contentSize, 0);
    return { id: manifest.config.digest, manifestDigest, references, configFile, layers, size };
  }

  /** Lists every image in the index, each once with all its references. */
  async listStored(): Promise<StoredImage[]> {
    const byManifest = new Map<Digest, string[]>();
    for (const entry of await this.index.entries()) {
      const references = byManifest.get(entry.manifest.digest) ?? [];
      references.push(entry.reference);
      byManifest.set(entry.manifest.digest, references);
    }
    const images: StoredImage[] = [];
    for (const [digest, references] of byManifest) {
      try {
        images.push(await this.loadImage(digest, references.sort()));
      } catch (error) {
        // One damaged image (a blob or layer deleted by hand) must not hide the others.
        logger.warn('Skipping an image that cannot be loaded', { references, manifest: digest, err: error });
      }
    }
    return images;
  }

  /**
   * Finds an image by reference (`x`, `x:tag`, `docker.io/library/x`,
   * `x@sha256:<manifest>`), by id (`sha256:<hex>`) or by an id prefix of at
   * least four hex digits, as docker accepts them.
   */
  async findImage(nameOrId: string): Promise<StoredImage | undefined> {
    let reference;
    try {
      reference = parseReference(nameOrId);
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
    }

    // A name needs only the index and one manifest, which keeps container starts quick.
    const entries = await this.index.entries();
    if (reference) {
      const key = formatReference(reference);
      const match = entries.find((entry) => (reference.digest ? entry.manifest.digest === reference.digest : entry.reference === key));
      if (match) {
        const references = entries.filter((entry) => entry.manifest.digest === match.manifest.digest).map((entry) => entry.reference);
        return this.loadImage(match.manifest.digest, references.sort());
      }
    }

    const idPrefix = nameOrId.startsWith('sha256:') ? nameOrId : /^[a-f0-9]{4,64}$/.test(nameOrId) ? `sha256:${nameOrId}` : undefined;
    if (!idPrefix) return undefined;
    const matches = (await this.listStored()).filter((image) => image.id.startsWith(idPrefix));
    if (matches.length > 1) throw new Error(`find image "${nameOrId}": the id prefix matches ${matches.length} images; give more digits`);
    return matches[0];
  }

  async resolve(reference: string): Promise<ResolvedImage | undefined> {
    const image = await this.findImage(reference);
    if (!image) return undefined;
    return {
      id: image.id,
      reference,
      config: image.configFile.config ?? {},
      layerDirs: image.layers.map((layer) => this.layers.diffDir(layer.diffID)),
    };
  }

  // --- CRI ImageService ---

  async listImages(): Promise<ImageInfo[]> {
    return (await this.listStored()).map(imageInfo);
  }

  async imageStatus(reference: string): Promise<ImageInfo | undefined> {
    const image = await this.findImage(reference);
    return image ? imageInfo(image) : undefined;
  }

  /**
   * Removes a reference, or every reference of an image given by id, and then
   * the image's blobs and the layers no other image or running build uses.
   * A reference that does not exist is not an error, as the CRI requires.
   */
  async removeImage(reference: string): Promise<void> {
    await this.remove(reference).catch((error: unknown) => {
      if (!(error instanceof ImageNotFoundError)) throw error;
    });
  }

  /**
   * Like removeImage, but throws ImageNotFoundError; returns the references
   * it removed and the digests it deleted.
   * NOTE: it does not know which layers running containers use as lowerdirs.
   * As with the CRI, the kubelet must not remove an image that is in use.
   */
  async remove(nameOrId: string): Promise<{ untagged: string[]; deleted: Digest[] }> {
    const image = await this.findImage(nameOrId);
    if (!image) throw new ImageNotFoundError(nameOrId);

    let untagged: string[] = image.references;
    try {
      const reference = formatReference(parseReference(nameOrId));
      if (image.references.includes(reference)) untagged = [reference];
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
    }

    return this.index.update(async (index) => {
      for (const reference of untagged) ReferenceIndex.removeReference(index, reference);
      const stillReferenced = index.manifests.some((entry) => entry.digest === image.manifestDigest);
      const deleted = stillReferenced ? [] : await this.collect(image, new Set(index.manifests.map((entry) => entry.digest)));
      return { untagged, deleted };
    });
  }

  /** Deletes an untagged image's blobs and its layers that nothing else uses; runs under the index lock. */
  private async collect(image: StoredImage, liveManifests: Set<Digest>): Promise<Digest[]> {
    const liveLayers = await this.leasedLayers();
    const liveConfigs = new Set<Digest>();
    let unknownLayers = false;
    for (const digest of liveManifests) {
      try {
        const manifest = await this.blobs.readJson<ImageManifest>(digest);
        liveConfigs.add(manifest.config.digest);
        const configFile = await this.blobs.readJson<ImageConfigFile>(manifest.config.digest);
        for (const diffID of configFile.rootfs.diff_ids) liveLayers.add(diffID);
      } catch (error) {
        // Without that image's layer list, any layer might be its; keep them all.
        logger.warn('Keeping all layers because an image cannot be read', { manifest: digest, err: error });
        unknownLayers = true;
      }
    }

    await this.blobs.remove(image.manifestDigest);
    if (!liveConfigs.has(image.id)) await this.blobs.remove(image.id);
    const deleted: Digest[] = [image.id];
    for (const layer of image.layers) {
      if (unknownLayers || liveLayers.has(layer.diffID)) continue;
      await this.layers.remove(layer.diffID);
      deleted.push(layer.diffID);
    }
    return deleted;
  }

  // --- writing ---

  /** Starts a lease that protects layers from removal until this process ends or release() runs. */
  async lease(): Promise<Lease> {
    return new Lease(await this.layout.makeTempDir('lease'));
  }

  private async leasedLayers(): Promise<Set<Digest>> {
    const leased = new Set<Digest>();
    for (const name of await readdir(this.layout.tmpDir)) {
      if (!name.includes('-lease-') || !processAlive(Number(name.split('-')[0]))) continue;
      try {
        const diffIDs = JSON.parse(await readFile(path.join(this.layout.tmpDir, name, 'layers.json'), 'utf8')) as string[];
        for (const diffID of diffIDs) if (isDigest(diffID)) leased.add(diffID);
      } catch (error) {
        // A lease that has not written its list yet protects nothing yet.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return leased;
  }

  /** Writes the config and manifest blobs of an image and points its references at it. */
  async commitImage(options: CommitImageOptions): Promise<StoredImage> {
    const references = options.references.map((reference) => formatReference(parseReference(reference)));
    // The blobs are written under the index lock, so that a concurrent `rm`
    // of an identical image cannot delete them between writing and tagging.
    const manifestDigest = await this.index.update(async (index) => {
      const config = options.configBytes ? await this.blobs.put(options.configBytes) : await this.blobs.putJson(options.configFile);
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: mediaTypes.imageManifest,
        config: { mediaType: mediaTypes.imageConfig, digest: config.digest, size: config.size },
        layers: options.layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.blobDigest, size: layer.blobSize })),
      };
      const manifestBlob = await this.blobs.putJson(manifest);
      for (const reference of references) ReferenceIndex.setReference(index, reference, manifestBlob);
      return manifestBlob.digest;
    });
    return this.loadImage(manifestDigest, references);
  }

  /** Points another reference at an existing image, like `docker tag`. */
  async tag(nameOrId: string, reference: string): Promise<void> {
    const image = await this.findImage(nameOrId);
    if (!image) throw new ImageNotFoundError(nameOrId);
    const manifest = { digest: image.manifestDigest, size: await this.blobs.size(image.manifestDigest) };
    const key = formatReference(parseReference(reference));
    await this.index.update((index) => ReferenceIndex.setReference(index, key, manifest));
  }
}

function imageInfo(image: StoredImage): ImageInfo {
  const user = image.configFile.config?.User;
  return { id: image.id, repoTags: image.references, size: image.size, ...(user ? { user } : {}) };
}
