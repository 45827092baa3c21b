// Controller-manager benchmark. A 1,000-replica Deployment reaches all
// Ready, and a full rolling update of it completes. Then the Deployment
// grows to 10,000 pods, and the controller-manager's resident memory is read.
//
// The apiserver and a fake kubelet run in this process. The fake kubelet
// binds pods round-robin to 100 simulated nodes and reports them Running
// and Ready. The controller-manager runs as its own process (`node
// bin/tinykube.js controller-manager`), so the RSS read is its alone. Usage:
//   node --import tsx bench/controllers.ts [--replicas 1000] [--pods 10000]
//
// NOTE: the RSS with 10,000 pods moved between 139 and 154 MB over runs on a
// shared 2-core machine. About 34 MB of it is V8's young generation, which
// grows to its maximum during the creation burst; the same run with node's
// --max-semi-space-size=2 measured 127 to 135 MB.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isConflict, type ApiClient } from '../api/client.js';
import { deployments } from '../api/resources.js';
import type { Deployment } from '../api/types.js';
import { startTestApiserver } from '../test/helpers/apiserver.js';
import { startFakeKubelet } from '../test/helpers/fake-kubelet.js';

const root = new URL('..', import.meta.url).pathname;

function log(message: string): void {
  process.stderr.write(`bench/controllers: ${message}\n`);
}

/** Reads a process's resident set size in MB from /proc. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return (performance.now() - started) / 1000;
}

/** Returns whether the rollout to the current template has finished, as `kubectl rollout status` decides. */
async function rolledOut(client: ApiClient, name: string): Promise<boolean> {
  const d = await client.get<Deployment>(deployments, 'default', name);
  const desired = d.spec.replicas ?? 1;
  const status = d.status ?? {};
  return (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && status.updatedReplicas === desired &&
    status.replicas === desired && status.availableReplicas === desired;
}

async function updateDeployment(client: ApiClient, name: string, change: (d: Deployment) => void): Promise<void> {
  for (;;) {
    const d = await client.get<Deployment>(deployments, 'default', name);
    change(d);
    try {
      await client.update(deployments, d);
      return;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

function startControllerManager(kubeconfigPath: string): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'bin/tinykube.js'), 'controller-manager', '--kubeconfig', kubeconfigPath], {
    cwd: root,
    env: { ...process.env, TINYKUBE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { replicas: { type: 'string', default: '1000' }, pods: { type: 'string', default: '10000' } } });
  const replicas = Number(values.replicas);
  const manyPods = Number(values.pods);

  const api = await startTestApiserver();
  const kubelet = await startFakeKubelet({
    client: api.client,
    nodeNames: Array.from({ length: 100 }, (_, i) => `node-${i}`),
    heartbeatMs: 10_000,
    workers: 32,
  });
  const manager = startControllerManager(api.kubeconfigPath);
  const { client } = api;
  try {
    const deployment: Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'bench' } },
        template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } },
      },
    };
    log(`creating a deployment of ${replicas} replicas`);
    await client.create(deployments, deployment);
    const readySeconds = await waitUntil(`${replicas} ready replicas`, () => rolledOut(client, 'bench'), 600_000);
    log(`all ready after ${readySeconds.toFixed(1)} s`);

    await updateDeployment(client, 'bench', (d) => {
      d.spec.template.spec.containers[0].image = 'busybox:2';
    });
    const rolloutSeconds = await waitUntil('the rolling update', () => rolledOut(client, 'bench'), 600_000);
    log(`rolling update done after ${rolloutSeconds.toFixed(1)} s`);
    const rssAtReplicas = rssMb(manager.pid);

    log(`scaling to ${manyPods} pods`);
    await updateDeployment(client, 'bench', (d) => {
      d.spec.replicas = manyPods;
    });
    const scaleSeconds = await waitUntil(`${manyPods} ready replicas`, () => rolledOut(client, 'bench'), 1_800_000);
    log(`${manyPods} ready after ${scaleSeconds.toFixed(1)} s`);
    // Let the last status writes and events settle, and V8 shrink its young generation, before reading memory.
    for (let second = 0; second < 10; second += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      log(`controller-manager RSS ${second + 5} s after all ready: ${rssMb(manager.pid).toFixed(0)} MB`);
    }
    const rssAtManyPods = rssMb(manager.pid);
    const peak = peakRssMb(manager.pid);

    const markdown = [
      '## Controllers',
      '',
      `Deployment of ${replicas} replicas (RollingUpdate, 25% surge and unavailable) on 100 simulated nodes; a fake kubelet in the`,
      'benchmark process binds pods and reports them Ready at once. The apiserver runs in the benchmark process, the',
      'controller-manager in its own (`node bin/tinykube.js controller-manager`). Script: `bench/controllers.ts`.',
      '',
      '| Measure | Value |',
      '| --- | --- |',
      `| ${replicas} replicas created to all Ready | ${readySeconds.toFixed(1)} s |`,
      `| Full rolling update of ${replicas} replicas | ${rolloutSeconds.toFixed(1)} s |`,
      `| Scale from ${replicas} to ${manyPods} replicas, all Ready | ${scaleSeconds.toFixed(1)} s |`,
      `| controller-manager RSS with ${replicas} pods | ${rssAtReplicas.toFixed(0)} MB |`,
      `| controller-manager RSS with ${manyPods} pods | ${rssAtManyPods.toFixed(0)} MB (target < 150 MB) |`,
      `| controller-manager peak RSS | ${peak.toFixed(0)} MB |`,
      '',
    ].join('\n');
    if (process.env.BENCH_OUTPUT) writeFileSync(process.env.BENCH_OUTPUT, markdown);
    process.stdout.write(markdown + '\n');
  } finally {
    manager.kill('SIGTERM');
    await new Promise((resolve) => manager.once('exit', resolve));
    await kubelet.stop();
    await api.close();
  }
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
