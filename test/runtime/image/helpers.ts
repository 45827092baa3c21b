// Shared set-up for the image store tests: a temp data dir per test, a small
// base image made from a handful of host binaries (far quicker than the full
// tinykube/base), and a build context written from a map of files.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { buildBaseImage, defaultPath } from '../../../runtime/image/base-image.js';
import { buildImage, type BuildOptions } from '../../../runtime/image/builder.js';
import { readFileFromLayers } from '../../../runtime/image/layer-files.js';
import { runStep, RunFailedError } from '../../../runtime/image/layer-steps.js';
import { ImageStore, type StoredImage } from '../../../runtime/image/store.js';

export const miniBaseReference = 'test/mini:latest';
export const miniTools = ['sh', 'cat', 'ls', 'echo', 'id', 'touch', 'rm', 'mkdir', 'ps', 'grep', 'wc', 'hostname', 'readlink', 'sleep', 'test', 'stat', 'tr'];

/** Creates a fresh dir under the system temp dir, removed when the test ends. */
export async function tempDir(t: ExecutionContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `tinykube-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function openStore(t: ExecutionContext): Promise<{ store: ImageStore; dataDir: string }> {
  const dataDir = await tempDir(t, 'images');
  return { store: await ImageStore.open(dataDir), dataDir };
}

/** Stores test/mini, an image with a shell and a few tools from the host, and no python. */
export async function addMiniBase(store: ImageStore): Promise<StoredImage> {
  return buildBaseImage(store, { reference: miniBaseReference, tools: miniTools, python: false });
}

/** Writes files (path → content) into a new context dir. */
export async function writeContext(t: ExecutionContext, files: Record<string, string>): Promise<string> {
  const dir = await tempDir(t, 'context');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** Builds the context's Dockerfile, collecting the build output. */
export async function build(store: ImageStore, contextDir: string, options: Partial<BuildOptions> = {}): Promise<{ image: StoredImage; output: string }> {
  let output = '';
  const image = await buildImage(store, { contextDir, tags: ['test/built:latest'], output: (text) => { output += text; }, ...options });
  return { image, output };
}

/** Returns the top-most layer dir of an image. */
export function topLayerDir(store: ImageStore, image: StoredImage): string {
  const top = image.layers.at(-1);
  if (!top) throw new Error(`image ${image.id} has no layers`);
  return store.layers.diffDir(top.diffID);
}

/** Reads a file of an image from its layers, the top-most layer first. */
export async function readImageFile(store: ImageStore, image: StoredImage, containerPath: string): Promise<string | undefined> {
  return readFileFromLayers(image.layers.map((layer) => store.layers.diffDir(layer.diffID)), containerPath);
}

/** Runs a command in the image as a RUN step would, and returns its exit code and output. */
export async function runInImage(store: ImageStore, image: StoredImage, command: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  try {
    await runStep({ store, layerDirs: image.layers.map((layer) => store.layers.diffDir(layer.diffID)) }, {
      command, env: [`PATH=${defaultPath}`], workingDir: '/', user: { uid: 0, gid: 0 }, onOutput: (chunk) => { output += chunk.toString(); },
    });
    return { code: 0, output };
  } catch (error) {
    if (error instanceof RunFailedError) return { code: error.exitCode, output };
    throw error;
  }
}
