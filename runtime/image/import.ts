// `tinykube image import`: loads the images of a `docker save` archive
// (manifest.json, config JSON files and layer tarballs) or of an OCI image
// layout tarball (oci-layout, index.json, blobs/sha256/…), like `docker load`.
// Digests are checked on the way in, and an image becomes visible only once
// all its layers are in the store.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Digest, digestHex, digestOf, digestOfFile, isDigest } from './digest.js';
import type { LayerRecord } from './layer-store.js';
import { unpackLayer } from './layer-unpack.js';
import {
  type Descriptor, type DockerSaveManifestEntry, hostArchitecture, type ImageConfigFile, type ImageIndex, type ImageManifest,
  imageNameAnnotation, refNameAnnotation,
} from './oci.js';
import { parseReference, formatReference } from './reference.js';
import type { ImageStore, Lease, StoredImage } from './store.js';

const execFileAsync = promisify(execFile);

export interface ImportOptions {
  /**
   * Reference for images the archive does not name. For an OCI index entry
   * whose ref.name is only a tag, its repository is combined with that tag.
   */
  tag?: string;
}

/** One image found in an archive, before it is stored. */
interface ArchiveImage {
  configPath: string;
  layerPaths: string[];
  /** Expected blob digests of the layers (OCI), checked before unpacking. */
  layerDigests?: Digest[];
  references: string[];
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** Joins an archive member path to dir, refusing one that leads outside it. */
function memberPath(dir: string, member: string): string {
  const resolved = path.resolve(dir, member);
  if (!resolved.startsWith(dir + path.sep)) throw new Error(`import: archive member ${member} points outside the archive`);
  return resolved;
}

function dockerSaveImages(dir: string, entries: DockerSaveManifestEntry[]): ArchiveImage[] {
  return entries.map((entry) => ({
    configPath: memberPath(dir, entry.Config),
    layerPaths: entry.Layers.map((layer) => memberPath(dir, layer)),
    references: entry.RepoTags ?? [],
  }));
}

function blobPath(dir: string, digest: string): string {
  if (!isDigest(digest)) throw new Error(`import: unsupported digest ${digest}; only sha256 is supported`);
  return path.join(dir, 'blobs', 'sha256', digestHex(digest));
}

/** Returns the name an OCI index entry gives its image: containerd's full name, or a ref.name that is a whole reference. */
function ociReferences(descriptor: Descriptor, tag: string | undefined): string[] {
  const fullName = descriptor.annotations?.[imageNameAnnotation];
  if (fullName) return [fullName];
  const refName = descriptor.annotations?.[refNameAnnotation];
  if (refName && /[:/]/.test(refName)) return [refName];
  // A bare ref.name is only a tag; it needs a repository from --tag.
  if (refName && tag) return [`${parseReference(tag).repository}:${refName}`];
  return [];
}

async function ociImages(dir: string, tag: string | undefined): Promise<ArchiveImage[]> {
  const images: ArchiveImage[] = [];
  const visit = async (descriptor: Descriptor, references: string[]) => {
    const file = blobPath(dir, descriptor.digest);
    if ((await digestOfFile(file)) !== descriptor.digest) throw new Error(`import: blob ${descriptor.digest} does not match its digest`);
    const document = JSON.parse(await readFile(file, 'utf8')) as ImageIndex | ImageManifest;
    if ('manifests' in document) {
      const platform = document.manifests.filter((child) => !child.platform || (child.platform.os === 'linux' && child.platform.architecture === hostArchitecture()));
      if (platform.length === 0) throw new Error(`import: index ${descriptor.digest} has no image for linux/${hostArchitecture()}`);
      // A multi-platform index names one image; take the first match for this host.
      const first = platform[0];
      if (first) await visit(first, references);
      return;
    }
    images.push({
      configPath: blobPath(dir, document.config.digest),
      layerPaths: document.layers.map((layer) => blobPath(dir, layer.digest)),
      layerDigests: document.layers.map((layer) => layer.digest),
      references,
    });
  };

  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
  for (const descriptor of index.manifests) await visit(descriptor, ociReferences(descriptor, tag));
  return images;
}

async function storeImage(store: ImageStore, image: ArchiveImage, lease: Lease): Promise<StoredImage> {
  const configBytes = await readFile(image.configPath);
  const configFile = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
  const diffIDs = configFile.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== image.layerPaths.length) {
    throw new Error(`import: image config ${digestOf(configBytes)} lists ${diffIDs.length} layers, the manifest ${image.layerPaths.length}`);
  }

  const layers: LayerRecord[] = [];
  for (const [index, layerPath] of image.layerPaths.entries()) {
    const diffID = diffIDs[index];
    if (!diffID || !isDigest(diffID)) throw new Error(`import: invalid diff_id ${String(diffID)} in the image config`);
    const expected = image.layerDigests?.[index];
    if (expected && !(await store.layers.get(diffID)) && (await digestOfFile(layerPath)) !== expected) {
      throw new Error(`import: layer blob ${expected} does not match its digest`);
    }
    const layer = await unpackLayer(store, layerPath, diffID);
    await lease.add([layer.diffID]);
    layers.push(layer);
  }
  return store.commitImage({ configFile, configBytes, layers, references: image.references.map((reference) => formatReference(parseReference(reference))) });
}

/** Imports every image of the archive at file; returns them as stored. */
export async function importArchive(store: ImageStore, file: string, options: ImportOptions = {}): Promise<StoredImage[]> {
  const work = await store.layout.makeTempDir('import');
  const lease = await store.lease();
  try {
    const dir = path.join(work, 'archive');
    await mkdir(dir);
    try {
      await execFileAsync('tar', ['-x', '-f', path.resolve(file), '-C', dir, '--no-same-owner'], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      throw new Error(`import ${file}: unpack the archive`, { cause: error });
    }

    let images: ArchiveImage[];
    if (await exists(path.join(dir, 'manifest.json'))) {
      images = dockerSaveImages(dir, JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as DockerSaveManifestEntry[]);
    } else if (await exists(path.join(dir, 'oci-layout')) && await exists(path.join(dir, 'index.json'))) {
      images = await ociImages(dir, options.tag);
    } else {
      throw new Error(`import ${file}: neither a docker save archive (manifest.json) nor an OCI image layout (oci-layout, index.json)`);
    }
    if (images.length === 0) throw new Error(`import ${file}: the archive contains no image`);

    if (options.tag) {
      const tag = formatReference(parseReference(options.tag));
      for (const image of images) if (image.references.length === 0) image.references.push(tag);
    }
    const unnamed = images.find((image) => image.references.length === 0);
    if (unnamed) throw new Error(`import ${file}: an image in the archive has no name; pass --tag NAME[:TAG]`);

    const stored: StoredImage[] = [];
    for (const image of images) stored.push(await storeImage(store, image, lease));
    return stored;
  } finally {
    await lease.release();
    await rm(work, { recursive: true, force: true });
  }
}

