// Scheduler throughput with the apiserver in the loop, after kube-scheduler's
// scheduler_perf SchedulingBasic workload: N hollow nodes (4 cpu, 32Gi, 110
// pods each), 1,000 pods placed first and not measured, then 10,000 measured
// pods, all requesting 100m cpu and 500Mi memory. The
// apiserver, the hollow nodes and the scheduler run as separate processes
// (`node bin/tinykube.js …`), so each RSS below is one component's.
//
// Throughput is pods bound per second from the first pod creation to the
// last binding seen on a watch. A last run on the first node count gives the
// scheduler an event queue that drops nothing, to show what the events the
// default queue drops would cost. Usage:
//   node --import tsx bench/scheduler.ts [--nodes 5000,1000] [--init-pods 1000] [--pods 10000] [--binary bin/tinykube.js] [--node-options FLAGS]
// --binary names the entry point the components run from, such as a
// compiled dist/cli/main.js. --node-options passes Node flags to each
// component, for example "--cpu-prof --cpu-prof-dir=/tmp/profiles".

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../api/client.js';
import { events, nodes, pods, resourcePath } from '../api/resources.js';
import type { Event, Node, Pod } from '../api/types.js';
import { ScheduleAlgorithm } from '../scheduler/algorithm.js';
import { SchedulerCache } from '../scheduler/cache.js';
import { newPodInfo } from '../scheduler/podinfo.js';
import { defaultFilters, defaultScores } from '../scheduler/plugins/index.js';

const root = new URL('..', import.meta.url).pathname;
let binary = join(root, 'bin/tinykube.js');
/** Node options for each component, such as --cpu-prof, from --node-options. */
let nodeOptions: string[] = [];

interface RunResult {
  nodes: number;
  /** Whether the scheduler's event queue was large enough that no event was dropped. */
  keptEvents: boolean;
  pods: number;
  seconds: number;
  podsPerSecond: number;
  runningSeconds: number | undefined;
  schedulerRssMb: number;
  schedulerPeakRssMb: number;
  hollowRssMb: number;
  hollowPeakRssMb: number;
  apiserverPeakRssMb: number;
  registrationSeconds: number;
  /** One-minute load average of the machine when the last pod was bound, to show contention from other work. */
  loadAverage: number;
  /** Cpu seconds used during the measured interval by the apiserver, the hollow nodes and the scheduler. */
  cpu: { apiserver: number; hollow: number; scheduler: number };
  /** Scheduled events stored for the measured pods, which the scheduler's recorder drops past its backlog. */
  scheduledEvents: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Returns [current, peak] resident set size of a process in MiB, from /proc. */
function rssMb(pid: number | undefined): [number, number] {
  if (pid === undefined) return [0, 0];
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
    return [field('VmRSS'), field('VmHWM')];
  } catch {
    return [0, 0];
  }
}

/** Returns the cpu seconds (user and system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function startComponent(args: string[], label: string): ChildProcess {
  const child = spawn(process.execPath, [...nodeOptions, binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TINYKUBE_LOG_LEVEL: 'warn' } });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => process.stderr.write(text.split('\n').filter(Boolean).map((line) => `[${label}] ${line}\n`).join('')));
  return child;
}

async function stopComponent(child: ChildProcess): Promise<void> {
  // A child that already exited, by its own exit or a signal, sends no further exit event.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitUntil(description: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function benchPod(prefix: string, index: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${prefix}${index}`, namespace: 'default', labels: { app: 'bench' } },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
  };
}

function benchNode(index: number): Node {
  const resources = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${index}` },
    spec: {},
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** Places the pods with the scheduling algorithm and cache alone, in this process, without the API: the scheduler's own ceiling. */
function algorithmOnly(nodeCount: number, podCount: number): number {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) cache.addOrUpdateNode(benchNode(i));
  const algorithm = new ScheduleAlgorithm({ filters: defaultFilters, scores: defaultScores });
  const start = performance.now();
  for (let i = 0; i < podCount; i++) {
    const object = benchPod('bench-', i);
    const pod = newPodInfo({ ...object, metadata: { ...object.metadata, uid: `uid-${i}` } });
    const result = algorithm.schedule(pod, cache.nodes());
    if (result.kind === 'feasible') cache.assumePod(pod, result.node);
  }
  return podCount / ((performance.now() - start) / 1000);
}

/** Creates count pods named prefix0, prefix1 and so on, from 64 concurrent clients, as the apiserver benchmark does. */
async function createPods(client: ApiClient, prefix: string, count: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < count) {
      const index = next++;
      await client.send('POST', resourcePath(pods, 'default'), benchPod(prefix, index));
    }
  }));
}

interface PodTracker {
  /** Resolves when every pod is bound. */
  bound: Promise<void>;
  /** The time the last pod was first seen bound. */
  readonly lastBinding: number;
  /** Resolves with the time every pod was first seen Running; rejects after 120 s past the last binding. */
  running: Promise<number>;
  stop(): void;
}

/** Watches the pods named with prefix until count of them are bound and Running. */
function trackPods(client: ApiClient, prefix: string, count: number): PodTracker {
  const seenBound = new Set<string>();
  const seenRunning = new Set<string>();
  let lastBinding = 0;
  let boundResolve: () => void = () => undefined;
  let runningResolve: (at: number) => void = () => undefined;
  const allBound = new Promise<void>((resolve) => (boundResolve = resolve));
  const allRunning = new Promise<number>((resolve) => (runningResolve = resolve));
  // Only bound pods matter here, so the selector spares this client and the apiserver the events of pods not yet scheduled.
  const watch = client.watch<Pod>(pods, { namespace: 'default', fieldSelector: 'spec.nodeName!=', resourceVersion: '0' }, (event) => {
    const name = event.object.metadata.name ?? '';
    if (!name.startsWith(prefix)) return;
    if (event.object.spec?.nodeName && !seenBound.has(name)) {
      seenBound.add(name);
      lastBinding = Date.now();
      if (seenBound.size === count) boundResolve();
    }
    if (event.object.status?.phase === 'Running' && !seenRunning.has(name)) {
      seenRunning.add(name);
      if (seenRunning.size === count) runningResolve(Date.now());
    }
  });
  // The deadlines are cleared when met, because a pending timer would keep the process alive.
  const bound = withDeadline(allBound, 600_000, () => `only ${seenBound.size} of ${count} ${prefix} pods bound after 600 s`);
  return {
    bound,
    get lastBinding() {
      return lastBinding;
    },
    running: bound.then(() => withDeadline(allRunning, 120_000, () => `only ${seenRunning.size} of ${count} ${prefix} pods running 120 s after the last binding`)),
    stop: () => watch.stop(),
  };
}

/** Counts the Scheduled events about pods named with prefix, once the scheduler has written its queue: when a second passes without a new one. */
async function countScheduledEvents(client: ApiClient, prefix: string): Promise<number> {
  let previous = -1;
  for (let attempt = 0; attempt < 120; attempt++) {
    const list = await client.list<Event>(events, { namespace: 'default' });
    const count = list.items.filter((event) => event.reason === 'Scheduled' && event.involvedObject.name?.startsWith(prefix)).length;
    if (count === previous) return count;
    previous = count;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return previous;
}

function withDeadline<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function runOnce(nodeCount: number, initPodCount: number, podCount: number, keepEvents = false): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tinykube-bench-'));
  const port = await freePort();
  const children: ChildProcess[] = [];
  const client = new ApiClient({ server: `http://127.0.0.1:${port}`, userAgent: 'tinykube-bench', maxSockets: 64 });
  try {
    const apiserver = startComponent(['apiserver', '--data-dir', dataDir, '--port', String(port)], 'apiserver');
    children.push(apiserver);
    const kubeconfig = join(dataDir, 'admin.kubeconfig');
    await waitUntil('the apiserver', async () => client.list(nodes, { limit: 1 }).then(() => true, () => false), 30_000);

    const registrationStart = Date.now();
    const hollow = startComponent(['hollow-nodes', '--kubeconfig', kubeconfig, '--count', String(nodeCount), '--cpu', '4', '--memory', '32Gi', '--max-pods', '110'], 'hollow-nodes');
    children.push(hollow);
    await waitUntil(`${nodeCount} nodes`, async () => (await client.list<Node>(nodes)).items.length >= nodeCount, 600_000);
    const registrationSeconds = (Date.now() - registrationStart) / 1000;
    // The hollow nodes' pod watch starts after their leases; give it a moment to be in place.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const schedulerArgs = ['scheduler', '--kubeconfig', kubeconfig, ...(keepEvents ? ['--max-queued-events', String(10 * (initPodCount + podCount))] : [])];
    const scheduler = startComponent(schedulerArgs, 'scheduler');
    children.push(scheduler);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // As in scheduler_perf's SchedulingBasic, a first round of pods is placed before the measured one, which also
    // lets every component compile its hot paths before the clock starts.
    const initTracker = trackPods(client, 'init-', initPodCount);
    await createPods(client, 'init-', initPodCount);
    await initTracker.running;
    initTracker.stop();

    const tracker = trackPods(client, 'bench-', podCount);
    let peakScheduler = 0;
    const sampler = setInterval(() => {
      peakScheduler = Math.max(peakScheduler, rssMb(scheduler.pid)[0]);
    }, 200);

    const cpuBefore = [apiserver, hollow, scheduler].map((child) => cpuSeconds(child.pid));
    const benchCpuBefore = process.cpuUsage();
    const start = Date.now();
    await createPods(client, 'bench-', podCount);
    const createdSeconds = (Date.now() - start) / 1000;
    await tracker.bound;
    const seconds = (tracker.lastBinding - start) / 1000;
    const loadAverage = loadavg()[0];
    const [apiserverCpu, hollowCpu, schedulerCpu] = [apiserver, hollow, scheduler].map((child, i) => cpuSeconds(child.pid) - cpuBefore[i]);
    const allRunningAt = await tracker.running.catch(() => undefined);
    clearInterval(sampler);
    tracker.stop();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    process.stderr.write(`created ${podCount} pods in ${createdSeconds.toFixed(1)} s, bound in ${seconds.toFixed(1)} s; ` +
      `this client used ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} cpu s\n`);

    const scheduledEvents = await countScheduledEvents(client, 'bench-');

    const [schedulerRss, schedulerPeak] = rssMb(scheduler.pid);
    const [hollowRss, hollowPeak] = rssMb(hollow.pid);
    const [, apiserverPeak] = rssMb(apiserver.pid);
    return {
      nodes: nodeCount,
      keptEvents: keepEvents,
      pods: podCount,
      seconds,
      podsPerSecond: podCount / seconds,
      runningSeconds: allRunningAt !== undefined ? (allRunningAt - start) / 1000 : undefined,
      schedulerRssMb: schedulerRss,
      schedulerPeakRssMb: Math.max(schedulerPeak, peakScheduler),
      hollowRssMb: hollowRss,
      hollowPeakRssMb: hollowPeak,
      apiserverPeakRssMb: apiserverPeak,
      registrationSeconds,
      cpu: { apiserver: apiserverCpu, hollow: hollowCpu, scheduler: schedulerCpu },
      loadAverage,
      scheduledEvents,
    };
  } finally {
    client.close();
    for (const child of children.reverse()) await stopComponent(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function report(results: RunResult[], algorithmRates: [number, number][], initPods: number, podCount: number): string {
  const rows = results.map((result) => `| ${result.nodes.toLocaleString('en')}${result.keptEvents ? ', every event kept' : ''} | ${result.pods.toLocaleString('en')} | ${result.seconds.toFixed(1)} | ` +
    `**${Math.round(result.podsPerSecond).toLocaleString('en')}** | ${result.runningSeconds?.toFixed(1) ?? '–'} | ` +
    `${result.schedulerRssMb.toFixed(0)} / ${result.schedulerPeakRssMb.toFixed(0)} | ${result.hollowRssMb.toFixed(0)} / ${result.hollowPeakRssMb.toFixed(0)} | ` +
    `${result.apiserverPeakRssMb.toFixed(0)} | ${result.registrationSeconds.toFixed(1)} | ` +
    `${result.cpu.apiserver.toFixed(1)} / ${result.cpu.hollow.toFixed(1)} / ${result.cpu.scheduler.toFixed(1)} | ` +
    `${result.scheduledEvents.toLocaleString('en')} | ${result.loadAverage.toFixed(1)} |`);
  return [
    '## Scheduler: SchedulingBasic with hollow nodes',
    '',
    'Pods bound per second from the first pod creation to the last binding, with the apiserver, the hollow nodes and the scheduler',
    'as separate processes on one machine. Nodes: 4 cpu, 32Gi, 110 pods. Pods: 100m cpu, 500Mi memory, created by 64 concurrent clients.',
    `As in scheduler_perf, ${initPods.toLocaleString('en')} pods are placed and Running before the measured pods are created.`,
    "The anchor is kube-scheduler's scheduler_perf CI threshold of 680 pods/s for SchedulingBasic with 5,000 nodes and 10,000 pods.",
    "The scheduler records a Scheduled event per pod as client-go's event broadcaster does: 8 writers and a queue of 1,000, past which",
    'new events are dropped. While the apiserver is saturated most events are dropped, and the events column counts those stored.',
    'The row marked "every event kept" gives the scheduler a queue large enough for all of them (`--max-queued-events`).',
    '',
    '| Nodes | Pods | Seconds | Pods/s | All Running (s) | Scheduler RSS end / peak (MiB) | Hollow nodes RSS end / peak (MiB) | Apiserver peak RSS (MiB) | Node registration (s) | Cpu s until last binding: apiserver / hollow / scheduler | Scheduled events stored | Load average |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `The scheduling algorithm and cache alone, in one process without the API, place ${podCount.toLocaleString('en')} pods at ` +
      algorithmRates.map(([nodes, rate]) => `${Math.round(rate).toLocaleString('en')} pods/s on ${nodes.toLocaleString('en')} nodes`).join(' and ') + '.',
    '',
    `Components ran from \`${binary.replace(root, '')}\`. Measured with \`node --import tsx bench/scheduler.ts\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpuDescription()}.`,
  ].join('\n');
}

function cpuDescription(): string {
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/gm) ?? [];
  return `${cpus.length} × ${cpus[0]?.replace(/^model name\s*:\s*/, '') ?? 'unknown cpu'}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    nodes: { type: 'string', default: '5000,1000' },
    pods: { type: 'string', default: '10000' },
    'init-pods': { type: 'string', default: '1000' },
    binary: { type: 'string', default: binary },
    'node-options': { type: 'string', default: '' },
  } });
  binary = values.binary;
  nodeOptions = values['node-options'].split(' ').filter(Boolean);
  const results: RunResult[] = [];
  const nodeCounts = values.nodes.split(',').map(Number);
  const algorithmRates = nodeCounts.map((nodeCount): [number, number] => [nodeCount, algorithmOnly(nodeCount, Number(values.pods))]);
  for (const nodeCount of nodeCounts) {
    process.stderr.write(`running ${values.pods} pods on ${nodeCount} hollow nodes\n`);
    results.push(await runOnce(nodeCount, Number(values['init-pods']), Number(values.pods)));
  }
  process.stderr.write(`running ${values.pods} pods on ${nodeCounts[0]} hollow nodes, keeping every event\n`);
  results.push(await runOnce(nodeCounts[0], Number(values['init-pods']), Number(values.pods), true));
  console.log(report(results, algorithmRates, Number(values['init-pods']), Number(values.pods)));
}

await main();
