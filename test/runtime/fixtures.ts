// Builders for runtime tests: a busybox rootfs as the single image layer, a
// fake image resolver, and a runtime with its own data dir, cgroup root,
// bridge and pod CIDR, so test files can run in parallel.

import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import type { ContainerConfig, ContainerStatus, LogLine, PodSandboxConfig } from '../../runtime/cri.js';
import type { ImageConfig, ImageResolver, ResolvedImage } from '../../runtime/image-resolver.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/runtime.js';
import { cleanupRuntime } from '../../runtime/cleanup.js';

export const busyboxPath = '/bin/busybox';

/** Fills DIRECTORY with busybox and its applet links, an /etc/passwd and an /etc/group. */
export function makeBusyboxRootfs(directory: string): void {
  if (!existsSync(busyboxPath)) throw new Error(`${busyboxPath} is missing: install the busybox-static package`);
  mkdirSync(join(directory, 'bin'), { recursive: true });
  mkdirSync(join(directory, 'etc'), { recursive: true });
  mkdirSync(join(directory, 'tmp'), { recursive: true, mode: 0o1777 });
  copyFileSync(busyboxPath, join(directory, 'bin', 'busybox'));
  execFileSync('chmod', ['755', join(directory, 'bin', 'busybox')]);
  const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8' }).split('\n').filter((name) => name && name !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(directory, 'bin', applet));
  writeFileSync(join(directory, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(directory, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n');
}

export class FakeImages implements ImageResolver {
  private readonly images = new Map<string, ResolvedImage>();

  add(reference: string, layerDirs: string[], config: ImageConfig = {}): ResolvedImage {
    const image = { id: `sha256:${randomBytes(32).toString('hex')}`, reference, config, layerDirs };
    this.images.set(reference, image);
    return image;
  }

  async resolve(reference: string): Promise<ResolvedImage | undefined> {
    return this.images.get(reference);
  }
}

export interface TestRuntime {
  runtime: Runtime;
  options: RuntimeOptions;
  images: FakeImages;
  root: string;
  /** The busybox layer, also available as image `busybox`. */
  layer: string;
  dispose(): Promise<void>;
}

export function uniqueNames(): { cgroupRoot: string; bridgeName: string; podCIDR: string } {
  const suffix = randomBytes(4).toString('hex');
  return {
    cgroupRoot: `tinykube-test-${suffix}`,
    bridgeName: `tkb${suffix}`,
    podCIDR: `10.${randomInt(100, 250)}.${randomInt(0, 255)}.0/24`,
  };
}

export async function newTestRuntime(overrides: Partial<RuntimeOptions> = {}): Promise<TestRuntime> {
  const root = mkdtempSync(join(tmpdir(), 'tinykube-runtime-'));
  const layer = join(root, 'layers', 'busybox');
  makeBusyboxRootfs(layer);
  const images = new FakeImages();
  images.add('busybox', [layer], { Cmd: ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
  const options: RuntimeOptions = { dataDir: join(root, 'data'), images, masquerade: false, ...uniqueNames(), ...overrides };
  const runtime = await createRuntime(options);
  return {
    runtime,
    options,
    images,
    root,
    layer,
    async dispose() {
      await cleanupRuntime(options);
      await runtime.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function newSandboxConfig(root: string, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  const uid = randomBytes(8).toString('hex');
  return {
    name: `pod-${uid.slice(0, 6)}`,
    namespace: 'default',
    uid,
    logDirectory: join(root, 'logs', uid),
    resources: { qosClass: 'BestEffort' },
    ...overrides,
  };
}

export function newContainerConfig(overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name: 'main', image: 'busybox', command: ['sleep', '1000'], resources: {}, attempt: 0, ...overrides };
}

/** Polls until CONDITION holds, failing after TIMEOUT_MS. */
export async function eventually<T>(condition: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs COMMAND in a new container of the sandbox and waits for it to exit; returns its status and its stdout. */
export async function runToCompletion(runtime: Runtime, sandboxId: string, config: Partial<ContainerConfig>): Promise<{ status: ContainerStatus; stdout: string; stderr: string }> {
  const id = await runtime.createContainer(sandboxId, newContainerConfig({ name: `run-${randomBytes(3).toString('hex')}`, ...config }));
  await runtime.startContainer(id);
  const status = await eventually(async () => {
    const current = await runtime.containerStatus(id);
    return current.state === 'CONTAINER_EXITED' && current;
  }, 15_000, `container ${id} to exit`);
  const lines: LogLine[] = [];
  await runtime.readLogs(id, {}, (line) => lines.push(line));
  const text = (stream: string) => lines.filter((line) => line.stream === stream).map((line) => line.content + (line.tag === 'F' ? '\n' : '')).join('');
  return { status, stdout: text('stdout'), stderr: text('stderr') };
}

/** Runs COMMAND through exec and collects its output. */
export async function execOutput(runtime: Runtime, containerId: string, command: string[], input?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = input === undefined ? undefined : Readable.from([input]);
  const exitCode = await runtime.exec(containerId, { command, stdout, stderr, stdin });
  return { exitCode, stdout: out, stderr: err };
}

/** Starts a long-running container and waits until it runs. */
export async function startSleeper(runtime: Runtime, sandboxId: string, config: Partial<ContainerConfig> = {}): Promise<ContainerStatus> {
  const id = await runtime.createContainer(sandboxId, newContainerConfig({ name: `sleeper-${randomBytes(3).toString('hex')}`, ...config }));
  await runtime.startContainer(id);
  return runtime.containerStatus(id);
}
