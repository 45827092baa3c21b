// Kubelet benchmark on the real runtime, with the kubelet in its own process
// (`tinykube kubelet`) and an in-process apiserver:
//   - 20 pods from `kubectl apply` until all are Ready on the node;
//   - start-up latency of 100 pods created at 20 per second, from the create
//     call until a watch shows the pod Running;
//   - the kubelet's resident memory with those 100 pods running.
// Pods carry spec.nodeName, so no scheduler runs. Run as root:
// `node --import tsx bench/kubelet.ts`. Prints a Markdown section.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';

import { ApiClient } from '../api/client.js';
import { setLogLevel } from '../api/log.js';
import { nodes, pods } from '../api/resources.js';
import type { Node, Pod } from '../api/types.js';
import { startApiserver } from '../apiserver/server.js';
import { cleanupRuntime } from '../runtime/cleanup.js';
import { ensureBaseImage } from '../runtime/image/base-image.js';
import { ImageStore } from '../runtime/image/store.js';

const run = promisify(execFile);
const kubectlPath = '/usr/bin/kubectl';
const nodeName = 'bench-node';

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? NaN;
}

async function waitFor(description: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function benchPod(name: string, label: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { bench: label } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'tinykube/base', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  };
}

const isReady = (pod: Pod) => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

/** Reads VmRSS of a process, in bytes. */
function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

async function deleteAll(client: ApiClient, label: string): Promise<void> {
  const list = await client.list<Pod>(pods, { namespace: 'default', labelSelector: `bench=${label}` });
  await Promise.all(list.items.map((pod) => client.delete(pods, 'default', pod.metadata.name ?? '').catch(() => undefined)));
  await waitFor(`${label} pods deleted`, async () => (await client.list<Pod>(pods, { namespace: 'default', labelSelector: `bench=${label}` })).items.length === 0, 120_000);
}

/** Times `kubectl apply` of count pods until every one of them is Ready. */
async function applyUntilReady(client: ApiClient, kubeconfig: string, root: string, count: number): Promise<number> {
  const manifest = Array.from({ length: count }, (_, index) => yaml.dump(benchPod(`apply-${index}`, 'apply'))).join('---\n');
  const file = join(root, 'pods.yaml');
  writeFileSync(file, manifest);
  const started = performance.now();
  await run(kubectlPath, ['--kubeconfig', kubeconfig, 'apply', '-f', file], { timeout: 60_000 });
  await waitFor('applied pods Ready', async () => {
    const list = await client.list<Pod>(pods, { namespace: 'default', labelSelector: 'bench=apply' });
    return list.items.length === count && list.items.every(isReady);
  }, 120_000);
  return performance.now() - started;
}

/** Creates count pods at rate per second and returns each one's latency from create to Running, seen through a watch. */
async function startupLatencies(client: ApiClient, count: number, rate: number): Promise<number[]> {
  const createdAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  const list = await client.list<Pod>(pods, { namespace: 'default' });
  const watch = client.watch<Pod>(pods, { namespace: 'default', labelSelector: 'bench=latency', resourceVersion: list.metadata.resourceVersion }, (event) => {
    const name = event.object.metadata.name ?? '';
    const created = createdAt.get(name);
    if (created !== undefined && !latencies.has(name) && event.object.status?.phase === 'Running') latencies.set(name, performance.now() - created);
  });
  try {
    const creations: Promise<unknown>[] = [];
    const started = performance.now();
    for (let index = 0; index < count; index++) {
      const due = started + (index * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const name = `latency-${index}`;
      createdAt.set(name, performance.now());
      creations.push(client.create(pods, benchPod(name, 'latency')));
    }
    await Promise.all(creations);
    await waitFor('every pod Running', async () => latencies.size === count, 120_000);
  } finally {
    watch.stop();
  }
  return [...createdAt.keys()].map((name) => latencies.get(name) ?? NaN);
}

function startKubeletProcess(options: { kubeconfig: string; dataDir: string; podCIDR: string; bridgeName: string; cgroupRoot: string }): ChildProcess {
  return spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'tinykube.js'), 'kubelet',
    '--kubeconfig', options.kubeconfig, '--node-name', nodeName, '--data-dir', options.dataDir, '--pod-cidr', options.podCIDR,
    '--port', '0', '--bridge-name', options.bridgeName, '--cgroup-root', options.cgroupRoot, '--max-pods', '200'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TINYKUBE_LOG_LEVEL: 'warn', NODE_OPTIONS: process.env.KUBELET_NODE_OPTIONS ?? '' },
  });
}

export async function kubeletBenchmark(): Promise<string> {
  setLogLevel('warn');
  const root = mkdtempSync(join(tmpdir(), 'tinykube-bench-kubelet-'));
  const suffix = randomBytes(4).toString('hex');
  const runtimeOptions = {
    dataDir: join(root, 'node'),
    bridgeName: `tkb${suffix}`,
    cgroupRoot: `tinykube-bench-${suffix}`,
    podCIDR: `10.${randomInt(100, 250)}.${randomInt(0, 255)}.0/24`,
  };
  const apiserver = await startApiserver({ dataDir: join(root, 'apiserver'), port: 0 });
  const client = new ApiClient({ server: apiserver.url, userAgent: 'bench-kubelet' });
  const images = await ImageStore.open(runtimeOptions.dataDir);
  let kubelet: ChildProcess | undefined;
  try {
    await ensureBaseImage(images, { tools: ['sh', 'sleep', 'cat', 'echo'], python: false });
    kubelet = startKubeletProcess({ kubeconfig: apiserver.kubeconfigPath, ...runtimeOptions });
    await waitFor('the node registered', async () => {
      const node = await client.get<Node>(nodes, undefined, nodeName).catch(() => undefined);
      return node?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
    }, 60_000);

    const applyMs = await applyUntilReady(client, apiserver.kubeconfigPath, root, 20);
    await deleteAll(client, 'apply');

    const latencies = await startupLatencies(client, 100, 20);
    process.stderr.write(`start-up latencies in creation order (ms): ${latencies.map((value) => value.toFixed(0)).join(' ')}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let the status writes and relists of the burst settle
    const rss = residentBytes(kubelet.pid ?? 0);
    await deleteAll(client, 'latency');

    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    return [
      '## Kubelet',
      '',
      `Real runtime, kubelet in its own process, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}). Script: \`bench/kubelet.ts\`.`,
      '',
      '| Measure | Result | Target |',
      '| --- | --- | --- |',
      `| 20 pods, \`kubectl apply\` until all Ready | ${(applyMs / 1000).toFixed(2)} s | ≤ 2 s |`,
      `| Pod start-up latency, 100 pods at 20/s, p50 | ${percentile(latencies, 0.5).toFixed(0)} ms | |`,
      `| Pod start-up latency, 100 pods at 20/s, p90 | ${percentile(latencies, 0.9).toFixed(0)} ms | |`,
      `| Pod start-up latency, 100 pods at 20/s, p99 | ${percentile(latencies, 0.99).toFixed(0)} ms | ≤ 500 ms |`,
      `| Kubelet RSS with 100 running pods | ${mb(rss)} MB | ≤ 80 MB |`,
      '',
    ].join('\n');
  } finally {
    if (kubelet?.pid !== undefined && kubelet.exitCode === null) {
      kubelet.kill('SIGTERM');
      await new Promise((resolve) => kubelet?.once('exit', resolve));
    }
    await cleanupRuntime({ ...runtimeOptions, images });
    client.close();
    await apiserver.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const markdown = await kubeletBenchmark();
if (process.env.BENCH_OUTPUT) writeFileSync(process.env.BENCH_OUTPUT, markdown);
else console.log(markdown);
