// Apiserver benchmark: pod creates per second at 64 concurrent keep-alive
// clients, GET latency, the time to LIST 10,000 pods, watch delivery latency
// with 500 watchers, and the apiserver's RSS holding 10,000 pods. Side by
// side, etcd 3.4 (Debian's etcd-server) takes raw puts of the same pod JSON
// through its /v3/kv/put JSON gateway with the same client and concurrency,
// because that put is the ceiling of a real kube-apiserver's create path.
//
// The apiserver and etcd run as child processes on 127.0.0.1 with temporary
// data dirs; the client runs in this process. Usage:
//   node --import tsx bench/apiserver.ts [--pods 10000] [--watchers 500] [--entry FILE] [--node-option OPTION]
// --entry names the script that starts `tinykube apiserver` (bin/tinykube.js
// unless set, which runs dist/ when it is fresh), for example a compiled
// cli/main.js from another output dir; --node-option passes an option such
// as --cpu-prof to the apiserver's node.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readKubeconfig } from '../api/kubeconfig.js';

const root = new URL('..', import.meta.url).pathname;
const binary = join(root, 'bin/tinykube.js');
const concurrency = 64;

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    watchers: { type: 'string', default: '500' },
    entry: { type: 'string', default: binary },
    'node-option': { type: 'string', multiple: true, default: [] },
  },
});
const podCount = Number(values.pods);
const watcherCount = Number(values.watchers);

function log(message: string): void {
  process.stderr.write(`bench/apiserver: ${message}\n`);
}

/** Builds a pod about the size of a small real one (roughly 1 KB of JSON). */
function podJson(name: string, namespace: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench', tier: 'web', shard: name.slice(-1) }, annotations },
    spec: {
      containers: [{
        name: 'web', image: 'registry.example/bench/web:1.0', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'bench' }, { name: 'LEVEL', value: 'info' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30,
    },
  });
}

interface Target {
  host: string;
  port: number;
  agent: http.Agent;
}

function request(target: Target, method: string, path: string, body?: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host: target.host, port: target.port, method, path, agent: target.agent,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (body !== undefined) outgoing.write(body);
    outgoing.end();
  });
}

/** Runs count requests from `concurrency` workers; returns the wall time and each request's latency in ms. */
async function drive(count: number, send: (index: number) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      const begin = performance.now();
      await send(index);
      latencies.push(performance.now() - begin);
    }
  }));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  return exited;
}

interface ApiserverFigures {
  createsPerSecond: number[];
  getP50: number;
  getP99: number;
  listMs: number;
  listBytes: number;
  watchP50: number;
  watchP99: number;
  watchEvents: number;
  rssMb: number;
}

interface EtcdFigures {
  putsPerSecond: number[];
  putP50: number;
  putP99: number;
}

interface Running {
  child: ChildProcess;
  target: Target;
}

async function startApiserverChild(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [...values['node-option'], values.entry, 'apiserver', '--data-dir', dataDir, '--port', '0'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TINYKUBE_LOG_LEVEL: 'warn' } });
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  await waitFor('the apiserver kubeconfig', async () => existsSync(kubeconfig));
  const server = new URL(readKubeconfig(kubeconfig).server);
  const target: Target = { host: server.hostname, port: Number(server.port), agent: new http.Agent({ keepAlive: true, maxSockets: concurrency }) };
  await waitFor('the apiserver', async () => (await request(target, 'GET', '/readyz')).code === 200);
  return { child, target };
}

async function startEtcd(dataDir: string): Promise<Running | undefined> {
  if (!existsSync('/usr/bin/etcd')) {
    log('etcd is not installed (apt-get install -y etcd-server); skipping the etcd comparison');
    return undefined;
  }
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn('/usr/bin/etcd', [
    '--name', 'bench', '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`,
    '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const target: Target = { host: '127.0.0.1', port: clientPort, agent: new http.Agent({ keepAlive: true, maxSockets: concurrency }) };
  await waitFor('etcd', async () => (await request(target, 'GET', '/health')).code === 200);
  return { child, target };
}

/** Creates pods [first, first + count) through the apiserver; returns creates per second and latencies. */
async function createPods(target: Target, first: number, count: number): Promise<{ rate: number; latencies: number[] }> {
  const run = await drive(count, async (index) => {
    const name = `pod-${first + index}`;
    const response = await request(target, 'POST', '/api/v1/namespaces/bench/pods', podJson(name, 'bench'));
    if (response.code !== 201) throw new Error(`create ${name}: ${response.code} ${response.text}`);
  });
  return { rate: count / run.seconds, latencies: run.latencies };
}

/** Puts the same pods as raw etcd keys through the JSON gateway. */
async function putPods(target: Target, first: number, count: number): Promise<{ rate: number; latencies: number[] }> {
  const run = await drive(count, async (index) => {
    const name = `pod-${first + index}`;
    const key = Buffer.from(`/registry/pods/bench/${name}`).toString('base64');
    const value = Buffer.from(podJson(name, 'bench')).toString('base64');
    const response = await request(target, 'POST', '/v3/kv/put', JSON.stringify({ key, value }));
    if (response.code !== 200) throw new Error(`etcd put: ${response.code} ${response.text}`);
  });
  return { rate: count / run.seconds, latencies: run.latencies };
}

/**
 * Measures writes in alternating rounds (apiserver, then etcd, four times),
 * so a burst of load from other processes on the machine skews both sides
 * alike instead of one.
 */
async function benchWrites(apiserver: Running, etcd: Running | undefined): Promise<{ creates: number[]; etcd?: EtcdFigures }> {
  await request(apiserver.target, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
  // A warm-up round, not counted, lets both servers reach steady state (JIT, caches, LevelDB and etcd logs).
  const warmUp = 500;
  await createPods(apiserver.target, podCount, warmUp);
  await request(apiserver.target, 'DELETE', '/api/v1/namespaces/bench/pods?labelSelector=app%3Dbench');
  if (etcd) await putPods(etcd.target, podCount, warmUp);

  const rounds = 4;
  const perRound = Math.ceil(podCount / rounds);
  const creates: number[] = [];
  const puts: number[] = [];
  const putLatencies: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const first = round * perRound;
    const count = Math.min(perRound, podCount - first);
    log(`round ${round + 1}: ${count} creates through the apiserver`);
    creates.push((await createPods(apiserver.target, first, count)).rate);
    if (etcd) {
      log(`round ${round + 1}: ${count} raw puts into etcd`);
      const result = await putPods(etcd.target, first, count);
      puts.push(result.rate);
      putLatencies.push(...result.latencies);
    }
  }
  if (!etcd) return { creates };
  return { creates, etcd: { putsPerSecond: puts, putP50: percentile(putLatencies, 0.5), putP99: percentile(putLatencies, 0.99) } };
}

async function benchReads(apiserver: Running, creates: number[]): Promise<ApiserverFigures> {
  const { target, child } = apiserver;
  log('getting pods');
  const gets = await drive(Math.min(podCount, 10_000), async (index) => {
    const response = await request(target, 'GET', `/api/v1/namespaces/bench/pods/pod-${(index * 7919) % podCount}`);
    if (response.code !== 200) throw new Error(`get: ${response.code}`);
  });

  log('listing pods');
  const listTimes: number[] = [];
  let listBytes = 0;
  for (let i = 0; i < 5; i++) {
    const begin = performance.now();
    const response = await request(target, 'GET', '/api/v1/namespaces/bench/pods');
    listTimes.push(performance.now() - begin);
    listBytes = response.text.length;
    if (i === 0 && (JSON.parse(response.text) as { items: unknown[] }).items.length !== podCount) throw new Error('LIST returned the wrong number of pods');
  }
  const rss = rssMb(child.pid);

  const watch = await benchWatch(target);
  return {
    createsPerSecond: creates,
    getP50: percentile(gets.latencies, 0.5),
    getP99: percentile(gets.latencies, 0.99),
    listMs: percentile(listTimes, 0.5),
    listBytes,
    watchP50: watch.p50,
    watchP99: watch.p99,
    watchEvents: watch.events,
    rssMb: rss,
  };
}

/**
 * Opens watcherCount watches on one namespace, then creates pods one at a
 * time, each stamped with the time its POST was sent. Delivery latency runs
 * from that moment to the event's arrival at each watcher, so it includes
 * the synced write.
 */
async function benchWatch(target: Target): Promise<{ p50: number; p99: number; events: number }> {
  await request(target, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } }));
  const list = JSON.parse((await request(target, 'GET', '/api/v1/namespaces/watched/pods')).text) as { metadata: { resourceVersion: string } };
  const latencies: number[] = [];
  const watchAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const requests: http.ClientRequest[] = [];
  let connected = 0;
  log(`opening ${watcherCount} watches`);
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < watcherCount; i++) {
      const outgoing = http.get({
        host: target.host, port: target.port, agent: watchAgent,
        path: `/api/v1/namespaces/watched/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
      }, (response) => {
        if (++connected === watcherCount) resolve();
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const now = performance.timeOrigin + performance.now();
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const sent = /"bench\/sent":"([\d.]+)"/.exec(line);
            if (sent) latencies.push(now - Number(sent[1]));
          }
        });
      });
      outgoing.on('error', reject);
      requests.push(outgoing);
    }
  });

  const events = 100;
  log(`creating ${events} pods for the watchers`);
  for (let i = 0; i < events; i++) {
    const sentAt = String(performance.timeOrigin + performance.now());
    await request(target, 'POST', '/api/v1/namespaces/watched/pods', podJson(`watched-${i}`, 'watched', { 'bench/sent': sentAt }));
    // Leave room between events so each one's fan-out is measured on its own.
    await new Promise((done) => setTimeout(done, 20));
  }
  await waitFor('every watcher to see every event', async () => latencies.length >= events * watcherCount, 60_000).catch(() => undefined);
  for (const outgoing of requests) outgoing.destroy();
  watchAgent.destroy();
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), events: latencies.length };
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function markdown(figures: ApiserverFigures, etcd: EtcdFigures | undefined): string {
  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  const rounds = (values: number[]) => values.map((value) => fixed(value, 0)).join(', ');
  const creates = median(figures.createsPerSecond);
  const lines = [
    '## apiserver',
    '',
    `Measured by \`bench/apiserver.ts\`: ${podCount} pods of about 1 KB JSON, ${concurrency} concurrent keep-alive HTTP clients, ` +
      'the apiserver and etcd as child processes on 127.0.0.1, the client in the benchmark process on the same machine. ' +
      'Writes run in four alternating rounds (apiserver, then etcd); the rates are the medians of the rounds.',
    '',
    '| Figure | Value | Target |',
    '| --- | --- | --- |',
    `| Pod creates per second (tinykube, full create path; rounds: ${rounds(figures.createsPerSecond)}) | ${fixed(creates, 0)} | ≥ 1.0× etcd puts |`,
    ...(etcd ? [
      `| Raw puts per second (etcd 3.4, /v3/kv/put; rounds: ${rounds(etcd.putsPerSecond)}) | ${fixed(median(etcd.putsPerSecond), 0)} | |`,
      `| Ratio tinykube / etcd | ${fixed(creates / median(etcd.putsPerSecond), 2)}× | ≥ 1.0× |`,
      `| etcd put latency p50 / p99 | ${fixed(etcd.putP50)} ms / ${fixed(etcd.putP99)} ms | |`,
    ] : ['| etcd | not measured: etcd-server is not installed | |']),
    `| GET latency p50 / p99 | ${fixed(figures.getP50, 2)} ms / ${fixed(figures.getP99, 2)} ms | |`,
    `| LIST of ${podCount} pods (median of 5, ${fixed(figures.listBytes / 1024 / 1024)} MiB) | ${fixed(figures.listMs)} ms | ≤ 300 ms |`,
    `| Watch delivery latency p50 / p99, ${watcherCount} watchers (from POST sent to event received, ${figures.watchEvents} deliveries) | ` +
      `${fixed(figures.watchP50)} ms / ${fixed(figures.watchP99)} ms | |`,
    `| Apiserver RSS holding ${podCount} pods | ${fixed(figures.rssMb, 0)} MB | ≤ 200 MB |`,
  ];
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const apiserverDir = await mkdtemp(join(tmpdir(), 'tinykube-bench-apiserver-'));
  const etcdDir = await mkdtemp(join(tmpdir(), 'tinykube-bench-etcd-'));
  const running: Running[] = [];
  try {
    const apiserver = await startApiserverChild(apiserverDir);
    running.push(apiserver);
    const etcd = await startEtcd(etcdDir);
    if (etcd) running.push(etcd);
    const writes = await benchWrites(apiserver, etcd);
    const figures = await benchReads(apiserver, writes.creates);
    const section = markdown(figures, writes.etcd);
    if (process.env.BENCH_OUTPUT) await writeFile(process.env.BENCH_OUTPUT, section);
    else process.stdout.write(section);
  } finally {
    for (const { child, target } of running) {
      target.agent.destroy();
      await stop(child);
    }
    await rm(apiserverDir, { recursive: true, force: true });
    await rm(etcdDir, { recursive: true, force: true });
  }
}

await main();
