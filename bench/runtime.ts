// Runtime benchmark, run as root with `node --import tsx bench/runtime.ts`.
// It times pod start (sandbox plus one container, until the container's
// process runs) and stop, next to `runc run -d` of the same rootfs. It also
// measures idle memory per pod and starts 100 pods in a row, then prints a
// Markdown section.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { setLogLevel } from '../api/log.js';
import { cleanupRuntime } from '../runtime/cleanup.js';
import type { ContainerConfig, PodSandboxConfig } from '../runtime/cri.js';
import type { ImageResolver } from '../runtime/image-resolver.js';
import { findCniBinDir } from '../runtime/network/cni.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/runtime.js';
import { makeBusyboxRootfs } from '../test/runtime/fixtures.js';

/** Runs a command with no stdio: `runc run -d` hands its stdio to the container, which would keep pipes open. */
function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited with status ${code}`))));
  });
}

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

const format = (ms: number) => `${ms.toFixed(1)} ms`;

function sandboxConfig(root: string, index: number): PodSandboxConfig {
  const uid = randomBytes(8).toString('hex');
  return { name: `bench-${index}`, namespace: 'default', uid, logDirectory: join(root, 'logs', uid), resources: { qosClass: 'BestEffort' } };
}

const sleeper: ContainerConfig = { name: 'main', image: 'busybox', command: ['sleep', '100000'], resources: {}, attempt: 0 };

async function startPod(runtime: Runtime, root: string, index: number): Promise<string> {
  const sandboxId = await runtime.runPodSandbox(sandboxConfig(root, index));
  const containerId = await runtime.createContainer(sandboxId, sleeper);
  await runtime.startContainer(containerId);
  return sandboxId;
}

async function stopPod(runtime: Runtime, sandboxId: string): Promise<void> {
  await runtime.stopPodSandbox(sandboxId);
  await runtime.removePodSandbox(sandboxId);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function hasRunc(): boolean {
  try {
    execFileSync('runc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `runc run -d` returns once the container's process runs, the same point the pod start is measured to. */
async function runcSamples(rootfs: string, root: string, runs: number): Promise<{ start: number[]; stop: number[] }> {
  const bundle = join(root, 'runc-bundle');
  mkdirSync(bundle, { recursive: true });
  execFileSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { root: { path: string }; process: { args: string[]; terminal: boolean } };
  spec.root.path = rootfs;
  spec.process.args = sleeper.command ?? [];
  spec.process.terminal = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

  const start: number[] = [];
  const stop: number[] = [];
  for (let index = 0; index < runs; index++) {
    const id = `tinykube-bench-${randomBytes(4).toString('hex')}`;
    start.push(await timed(() => run('runc', ['run', '-d', '--bundle', bundle, id])));
    stop.push(await timed(() => run('runc', ['delete', '-f', id])));
  }
  return { start, stop };
}

/** Sums VmRSS of the pods' holders and container monitors. */
function idleRssKiB(runtime: Runtime, sandboxIds: string[]): Promise<number> {
  return (async () => {
    let total = 0;
    for (const sandboxId of sandboxIds) {
      const sandbox = await runtime.podSandboxStatus(sandboxId);
      const pids = [sandbox.pid];
      for (const container of await runtime.listContainers({ sandboxId })) {
        // The monitor is the container's parent.
        const stat = readFileSync(`/proc/${container.pid}/stat`, 'utf8');
        pids.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      }
      for (const pid of pids) total += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    }
    return total;
  })();
}

async function startStopSamples(runtime: Runtime, root: string, runs: number): Promise<{ start: number[]; stop: number[] }> {
  // Warm-up: the first pod creates the bridge and fills caches.
  await stopPod(runtime, await startPod(runtime, root, -1));
  const start: number[] = [];
  const stop: number[] = [];
  for (let index = 0; index < runs; index++) {
    let sandboxId = '';
    start.push(await timed(async () => (sandboxId = await startPod(runtime, root, index))));
    stop.push(await timed(() => stopPod(runtime, sandboxId)));
  }
  return { start, stop };
}

async function withRuntime<T>(root: string, images: ImageResolver, networkPlugin: 'bridge' | 'cni', action: (runtime: Runtime) => Promise<T>): Promise<T> {
  const suffix = randomBytes(3).toString('hex');
  const options: RuntimeOptions = {
    dataDir: join(root, `data-${suffix}`),
    images,
    cgroupRoot: `tinykube-bench-${suffix}`,
    bridgeName: `tkbench${suffix}`,
    podCIDR: '10.251.0.0/16',
    masquerade: false,
    networkPlugin,
  };
  const runtime = await createRuntime(options);
  try {
    return await action(runtime);
  } finally {
    await runtime.close();
    await cleanupRuntime(options);
  }
}

const row = (name: string, samples: number[]) => `| ${name} | ${format(percentile(samples, 0.5))} | ${format(percentile(samples, 0.99))} |`;

export async function runtimeBenchmark(options: { runs?: number; pods?: number } = {}): Promise<string> {
  const runs = options.runs ?? 50;
  const podCount = options.pods ?? 100;
  setLogLevel('warn');
  const root = mkdtempSync(join(tmpdir(), 'tinykube-bench-'));
  const layer = join(root, 'layers', 'busybox');
  makeBusyboxRootfs(layer);
  const images: ImageResolver = { resolve: async (reference) => (reference === 'busybox' ? { id: 'sha256:bench', reference, config: {}, layerDirs: [layer] } : undefined) };

  try {
    const bridge = await withRuntime(root, images, 'bridge', (runtime) => startStopSamples(runtime, root, runs));
    const cni = findCniBinDir() ? await withRuntime(root, images, 'cni', (runtime) => startStopSamples(runtime, root, runs)) : undefined;
    const runc = hasRunc() ? await runcSamples(layer, root, runs) : undefined;

    const rssKiB = await withRuntime(root, images, 'bridge', async (runtime) => {
      const idle: string[] = [];
      for (let index = 0; index < 10; index++) idle.push(await startPod(runtime, root, 1000 + index));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const total = await idleRssKiB(runtime, idle);
      for (const sandboxId of idle) await stopPod(runtime, sandboxId);
      return total / idle.length;
    });

    let failures = 0;
    const manyMs = await withRuntime(root, images, 'bridge', async (runtime) => {
      const many: string[] = [];
      const elapsed = await timed(async () => {
        for (let index = 0; index < podCount; index++) {
          try {
            many.push(await startPod(runtime, root, 2000 + index));
          } catch (error) {
            failures++;
            console.error(`pod ${index} failed to start:`, error);
          }
        }
      });
      for (const sandboxId of many) await stopPod(runtime, sandboxId);
      return elapsed;
    });

    const ratio = runc ? percentile(bridge.start, 0.5) / percentile(runc.start, 0.5) : undefined;
    return [
      '## Runtime',
      '',
      `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, ${runs} runs each, \`node --import tsx bench/runtime.ts\`. ` +
        'A pod start is `runPodSandbox` (holder, cgroups, veth and address) plus `createContainer` and `startContainer` (overlay, pivot_root, exec of `sleep`); ' +
        'runc starts the same busybox rootfs with `runc run -d` and its default spec (no overlay, no veth). Stop is `stopPodSandbox` plus `removePodSandbox`.',
      '',
      '| | median | p99 |',
      '|---|---|---|',
      row('tinykube pod start, built-in bridge', bridge.start),
      row('tinykube pod stop and removal, built-in bridge', bridge.stop),
      ...(cni ? [row('tinykube pod start, CNI plugins', cni.start), row('tinykube pod stop and removal, CNI plugins', cni.stop)] : []),
      ...(runc ? [row('runc run -d', runc.start), row('runc delete -f', runc.stop)] : ['| runc | not installed | |']),
      '',
      ratio === undefined ? '' : `Pod start with the built-in bridge is ${ratio.toFixed(2)}× runc's median (target: at most 1.0×).`,
      '',
      `Idle memory per pod (holder and container monitor, VmRSS, mean of 10 pods): ${(rssKiB / 1024).toFixed(2)} MiB (target: at most 1 MiB).`,
      '',
      `${podCount} pods started in a row: ${podCount - failures} succeeded, ${failures} failed, ${(manyMs / 1000).toFixed(1)} s in total.`,
      '',
    ].join('\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const markdown = await runtimeBenchmark();
  // bench/run.ts names the file for the section in BENCH_OUTPUT; run alone, the section goes to stdout.
  if (process.env.BENCH_OUTPUT) writeFileSync(process.env.BENCH_OUTPUT, markdown);
  else console.log(markdown);
}
