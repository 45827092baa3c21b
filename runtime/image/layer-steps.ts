// The Dockerfile steps that make a layer: RUN, COPY and ADD. Each works on an
// overlay of the layers built so far with a fresh upper dir, and that upper
// dir, holding exactly the step's changes, becomes the new layer.

import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { copyIntoRoot, mkdirInRoot, type CopyRequest } from './copy.js';
import { readFileFromLayers } from './layer-files.js';
import type { LayerRecord } from './layer-store.js';
import { withOverlayMount, type OverlayDirs } from './overlay-mount.js';
import { ensureInitDir, runInSandbox } from './run-sandbox.js';
import type { ImageStore } from './store.js';
import { resolveUser, type UserIds } from './user.js';

export interface StepWorkspace {
  store: ImageStore;
  /** Layer dirs of the state the step starts from, bottom first. */
  layerDirs: string[];
}

async function makeOverlayDirs(work: string, layerDirs: string[]): Promise<OverlayDirs> {
  const dirs = { lowerDirs: layerDirs, upperDir: path.join(work, 'upper'), workDir: path.join(work, 'work'), mergedDir: path.join(work, 'merged') };
  for (const dir of [dirs.upperDir, dirs.workDir, dirs.mergedDir]) await mkdir(dir, { mode: 0o755 });
  return dirs;
}

/** Runs fn with a temp dir under the store's tmp/, then commits <work>/upper as a layer. */
async function withLayerWork(store: ImageStore, fn: (work: string) => Promise<void>): Promise<LayerRecord> {
  const work = await store.layout.makeTempDir('step');
  try {
    await fn(work);
    return await store.layers.commitDirectory(path.join(work, 'upper'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Resolves a USER or --chown value through the image's /etc/passwd and /etc/group. */
export async function resolveImageUser(layerDirs: string[], spec: string | undefined): Promise<UserIds> {
  if (!spec) return { uid: 0, gid: 0 };
  const [passwd, group] = await Promise.all([readFileFromLayers(layerDirs, 'etc/passwd'), readFileFromLayers(layerDirs, 'etc/group')]);
  return resolveUser(spec, passwd, group);
}

export async function copyStep(workspace: StepWorkspace, request: CopyRequest): Promise<LayerRecord> {
  const { store, layerDirs } = workspace;
  return withLayerWork(store, async (work) => {
    const dirs = await makeOverlayDirs(work, layerDirs);
    // Without layers below there is nothing to merge: write the upper dir directly.
    if (layerDirs.length === 0) return copyIntoRoot(dirs.upperDir, request);
    return withOverlayMount(dirs, store.layout.layersDir, (merged) => copyIntoRoot(merged, request));
  });
}

/**
 * Calls fn with a read-only view of an image's merged layers, such as the
 * stage COPY --from reads. Writes would land in a throwaway upper dir.
 */
export async function withImageRoot<T>(store: ImageStore, layerDirs: string[], fn: (root: string) => Promise<T>): Promise<T> {
  const work = await store.layout.makeTempDir('source');
  try {
    const dirs = await makeOverlayDirs(work, layerDirs);
    if (layerDirs.length === 0) return await fn(dirs.upperDir);
    return await withOverlayMount(dirs, store.layout.layersDir, fn);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface RunStepOptions {
  command: string[];
  env: string[];
  workingDir: string;
  user: UserIds;
  onOutput: (chunk: Buffer) => void;
}

/** Runs a RUN step; resolves with the layer, or throws with the command's exit code. */
export async function runStep(workspace: StepWorkspace, options: RunStepOptions): Promise<LayerRecord> {
  const { store, layerDirs } = workspace;
  await ensureInitDir(store.layout);
  return withLayerWork(store, async (work) => {
    const dirs = await makeOverlayDirs(work, layerDirs);
    // A WORKDIR that does not exist yet is created in this step's layer, as docker does.
    if (options.workingDir !== '/') {
      if (layerDirs.length === 0) await mkdirInRoot(dirs.upperDir, options.workingDir);
      else await withOverlayMount(dirs, store.layout.layersDir, (merged) => mkdirInRoot(merged, options.workingDir));
      // overlayfs wants an empty work dir for the next mount.
      await rm(dirs.workDir, { recursive: true, force: true });
      await mkdir(dirs.workDir);
    }

    const code = await runInSandbox({
      dirs,
      initDir: store.layout.initDir,
      cwd: store.layout.layersDir,
      command: options.command,
      env: options.env,
      workingDir: options.workingDir,
      uid: options.user.uid,
      gid: options.user.gid,
      hostname: randomBytes(6).toString('hex'),
      onOutput: options.onOutput,
    });
    if (code !== 0) throw new RunFailedError(options.command, code);
  });
}

export class RunFailedError extends Error {
  constructor(readonly command: string[], readonly exitCode: number) {
    super(`The command '${command.join(' ')}' returned a non-zero code: ${exitCode}`);
    this.name = 'RunFailedError';
  }
}
