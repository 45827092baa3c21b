import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, isNotFound } from '../../api/client.js';
import type { LogFields, Logger, LogLevel } from '../../api/log.js';
import { leases, nodes, pods } from '../../api/resources.js';
import type { Lease, Node, Pod } from '../../api/types.js';
import { startHollowNodes, type HollowNodesOptions } from '../../kubelet/hollow/hollow.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';
import { newPod } from '../scheduler/builders.js';
import { waitFor } from '../scheduler/cluster.js';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy.js';

async function startHollowCluster(t: ExecutionContext, count: number, withScheduler = true) {
  const api = await startTestApiserver();
  const hollow = await startHollowNodes({ client: api.client, count, cpu: '4', memory: '16Gi', maxPods: 20, namePrefix: 'h-', leaseRenewIntervalMs: 300 });
  const scheduler = withScheduler ? await startScheduler({ client: api.client, initialBackoffMs: 100, maxBackoffMs: 500 }) : undefined;
  t.teardown(async () => {
    await scheduler?.stop();
    await hollow.stop();
    await api.close();
  });
  return { api, hollow };
}

test('hollow nodes register as Ready nodes', async (t) => {
  const { api, hollow } = await startHollowCluster(t, 5, false);
  t.deepEqual(hollow.nodeNames, ['h-0', 'h-1', 'h-2', 'h-3', 'h-4']);
  const list = await api.client.list<Node>(nodes);
  t.is(list.items.length, 5);
  const node = list.items.find((item) => item.metadata.name === 'h-3');
  if (!node) return t.fail('node h-3 missing');
  t.deepEqual(node.status?.allocatable, { cpu: '4', memory: '16Gi', pods: '20' });
  t.deepEqual(node.status?.capacity, { cpu: '4', memory: '16Gi', pods: '20' });
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  t.is(ready?.status, 'True');
  t.is(ready?.reason, 'KubeletReady');
  t.deepEqual(node.status?.addresses, [{ type: 'InternalIP', address: '127.1.0.3' }, { type: 'Hostname', address: 'h-3' }]);
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
  t.regex(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.32\./);
  t.is(node.spec.podCIDR, '10.64.3.0/24');
});

test('hollow nodes renew their leases', async (t) => {
  const { api } = await startHollowCluster(t, 3, false);
  const first = await api.client.get<Lease>(leases, 'kube-node-lease', 'h-1');
  t.is(first.spec.holderIdentity, 'h-1');
  t.is(first.spec.leaseDurationSeconds, 40);
  t.is(first.metadata.ownerReferences?.[0]?.kind, 'Node');
  const renewed = await waitFor('a later renewTime', async () => {
    const lease = await api.client.get<Lease>(leases, 'kube-node-lease', 'h-1');
    return lease.spec.renewTime !== first.spec.renewTime ? lease : undefined;
  });
  t.true(Date.parse(renewed.spec.renewTime ?? '') > Date.parse(first.spec.renewTime ?? ''));
});

test('bound pods become Running and Ready', async (t) => {
  const { api } = await startHollowCluster(t, 3);
  for (let i = 0; i < 6; i++) await api.client.create(pods, { ...newPod(`web-${i}`, { cpu: '100m', memory: '64Mi' }), metadata: { name: `web-${i}`, namespace: 'default' } });
  const podIPs = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const pod = await waitFor(`pod web-${i} running`, async () => {
      const current = await api.client.get<Pod>(pods, 'default', `web-${i}`);
      return current.status?.phase === 'Running' ? current : undefined;
    });
    const index = Number(pod.spec.nodeName?.slice('h-'.length));
    t.is(pod.status?.hostIP, `127.1.0.${index}`);
    t.regex(pod.status?.podIP ?? '', new RegExp(`^10\\.64\\.${index}\\.\\d+$`));
    podIPs.add(pod.status?.podIP ?? '');
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'] as const) {
      t.is(pod.status?.conditions?.find((condition) => condition.type === type)?.status, 'True', type);
    }
    t.is(pod.status?.containerStatuses?.[0]?.ready, true);
    t.truthy(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);
    t.truthy(pod.status?.startTime);
    t.is(pod.status?.qosClass, 'Burstable');
  }
  t.is(podIPs.size, 6);
});

test('deleted pods are removed', async (t) => {
  const { api } = await startHollowCluster(t, 2);
  await api.client.create(pods, { ...newPod('doomed'), metadata: { name: 'doomed', namespace: 'default' } });
  await waitFor('pod running', async () => (await api.client.get<Pod>(pods, 'default', 'doomed')).status?.phase === 'Running' || undefined);
  // A graceful delete only marks the pod; the hollow node finishes it.
  await api.client.delete(pods, 'default', 'doomed', { gracePeriodSeconds: 30 });
  const gone = await waitFor('pod gone', async () => {
    try {
      await api.client.get<Pod>(pods, 'default', 'doomed');
      return undefined;
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
  });
  t.true(gone);
});

interface LogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Returns a logger that keeps its lines in entries, so that a test reads only the lines of its own hollow nodes. */
function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    entries.push({ level, message, fields });
  };
  const logger: Logger = {
    error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug'),
    with: () => logger,
  };
  return { logger, entries };
}

/** Starts an apiserver, a fault proxy in front of it, and a client that goes through the proxy. */
async function startProxiedClient(t: ExecutionContext) {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  const proxy = await startFaultProxy(api.url);
  t.teardown(() => proxy.close());
  const client = new ApiClient({ server: proxy.url, userAgent: 'tinykube-hollow-test' });
  t.teardown(() => client.close());
  return { api, proxy, client };
}

/**
 * Starts an apiserver and two hollow nodes h-0 and h-1 that reach it through
 * a fault proxy, without a scheduler. The test's own client talks to the
 * apiserver directly, so the proxy's faults hit only the hollow nodes.
 */
async function startHollowBehindProxy(t: ExecutionContext, options: Partial<HollowNodesOptions>) {
  const { api, proxy, client } = await startProxiedClient(t);
  const log = recordingLogger();
  const hollow = await startHollowNodes({ client, count: 2, namePrefix: 'h-', leaseRenewIntervalMs: 300, logger: log.logger, ...options });
  t.teardown(() => hollow.stop());
  return { api, proxy, hollow, log };
}

function podStatusPath(name: string): string {
  return `/api/v1/namespaces/default/pods/${name}/status`;
}

/** Makes the proxy fail the first `times` requests with this method and path, and forward the rest. */
function failFirst(proxy: FaultProxy, method: string, path: string, times: number, fault: Fault): void {
  let failed = 0;
  proxy.fault = (requestMethod, requestPath) => {
    if (requestMethod !== method || requestPath !== path || failed >= times) return undefined;
    failed++;
    return fault;
  };
}

function requestTimes(proxy: FaultProxy, method: string, path: string): number[] {
  return proxy.requests.filter((request) => request.method === method && request.path === path).map((request) => request.at);
}

function countRequests(proxy: FaultProxy, method: string, path: string): number {
  return requestTimes(proxy, method, path).length;
}

async function createBoundPod(api: TestApiserver, name: string, nodeName: string): Promise<void> {
  await api.client.create(pods, { ...newPod(name, { nodeName }), metadata: { name, namespace: 'default' } });
}

async function waitForRunning(api: TestApiserver, name: string): Promise<Pod> {
  return waitFor(`pod ${name} running`, async () => {
    const pod = await api.client.get<Pod>(pods, 'default', name);
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
}

async function waitForGone(api: TestApiserver, name: string): Promise<true> {
  return waitFor(`pod ${name} gone`, async () => {
    try {
      await api.client.get<Pod>(pods, 'default', name);
      return undefined;
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
  });
}

const retryMessages = ['Failed to sync pod on hollow node, retrying', 'Failed to sync pod on hollow node again, retrying'];

for (const fault of ['reset', 503, 429] as const) {
  test(`status write retried after ${fault}`, async (t) => {
    const { api, proxy, log } = await startHollowBehindProxy(t, { initialBackoffMs: 50, maxBackoffMs: 150 });
    failFirst(proxy, 'PATCH', podStatusPath('slow'), 3, fault);
    await createBoundPod(api, 'slow', 'h-0');

    const pod = await waitForRunning(api, 'slow');
    t.is(pod.status?.hostIP, '127.1.0.0');
    t.is(countRequests(proxy, 'PATCH', podStatusPath('slow')), 4);

    // The first failure is a warning and the later ones are debug lines, each with the next wait.
    const failures = log.entries.filter((entry) => retryMessages.includes(entry.message));
    t.deepEqual(failures.map((entry) => entry.level), ['warn', 'debug', 'debug']);
    t.deepEqual(failures.map((entry) => entry.fields.retryInMs), [50, 100, 150]);
    t.deepEqual(failures.map((entry) => entry.fields.failures), [1, 2, 3]);
    for (const entry of failures) {
      t.is(entry.fields.pod, 'default/slow');
      t.is(entry.fields.node, 'h-0');
      t.truthy(entry.fields.err);
    }
  });
}

test('deletion retried after 503', async (t) => {
  const { api, proxy } = await startHollowBehindProxy(t, { initialBackoffMs: 50, maxBackoffMs: 150 });
  await createBoundPod(api, 'doomed', 'h-1');
  await waitForRunning(api, 'doomed');

  const podPath = '/api/v1/namespaces/default/pods/doomed';
  failFirst(proxy, 'DELETE', podPath, 2, 503);
  await api.client.delete(pods, 'default', 'doomed', { gracePeriodSeconds: 30 });

  t.true(await waitForGone(api, 'doomed'));
  t.is(countRequests(proxy, 'DELETE', podPath), 3);
});

test('resync queues pod after conflict', async (t) => {
  // A conflict is left to the pod's next watch event, which this fake conflict never gets, so only the resync can recover.
  const { api, proxy, log } = await startHollowBehindProxy(t, { initialBackoffMs: 60_000, maxBackoffMs: 60_000, resyncIntervalMs: 200 });
  failFirst(proxy, 'PATCH', podStatusPath('missed'), 1, 409);
  await createBoundPod(api, 'missed', 'h-0');

  await waitForRunning(api, 'missed');
  t.true(log.entries.some((entry) => entry.message === 'Resync queued pods' && entry.fields.count === 1));
  t.false(log.entries.some((entry) => retryMessages.includes(entry.message)));
});

/** Slack for delays measured with Date.now, by which a Node timer can seem to fire about a millisecond early. */
const timerSlackMs = 5;

test('resync skips pods in backoff', async (t) => {
  const { api, proxy } = await startHollowBehindProxy(t, { initialBackoffMs: 800, maxBackoffMs: 800, resyncIntervalMs: 100 });
  failFirst(proxy, 'PATCH', podStatusPath('waiting'), 1, 503);
  await createBoundPod(api, 'waiting', 'h-0');

  // Several resyncs run during the backoff, and none of them may send the write before the retry is due.
  await waitForRunning(api, 'waiting');
  const [failed, retried] = requestTimes(proxy, 'PATCH', podStatusPath('waiting'));
  t.true(retried - failed >= 800 - timerSlackMs, `retried after ${retried - failed} ms`);
});

test('resync waits one period for write result', async (t) => {
  const { api, proxy } = await startHollowBehindProxy(t, { initialBackoffMs: 100, maxBackoffMs: 100, resyncIntervalMs: 300 });
  failFirst(proxy, 'PATCH', podStatusPath('unseen'), 1, 503);
  await createBoundPod(api, 'unseen', 'h-0');
  await waitFor('first status write', async () => countRequests(proxy, 'PATCH', podStatusPath('unseen')) > 0 || undefined);

  // The watch never delivers the written status, so the cache stays behind. The first resync after the write skips
  // the pod, and a later one writes again in case the apiserver lost the write.
  proxy.pauseWatches();
  await waitFor('third status write', async () => countRequests(proxy, 'PATCH', podStatusPath('unseen')) >= 3 || undefined);
  const [, written, rewritten] = requestTimes(proxy, 'PATCH', podStatusPath('unseen'));
  t.true(rewritten - written >= 300 - timerSlackMs, `wrote again after ${rewritten - written} ms`);
  proxy.resumeWatches();
  await waitForRunning(api, 'unseen');
});

test('stop cancels pending retries', async (t) => {
  const { api, proxy, hollow } = await startHollowBehindProxy(t, { initialBackoffMs: 20, maxBackoffMs: 40 });
  proxy.fault = (method, path) => (method === 'PATCH' && path === podStatusPath('stuck') ? 503 : undefined);
  await createBoundPod(api, 'stuck', 'h-0');
  await waitFor('three status writes', async () => countRequests(proxy, 'PATCH', podStatusPath('stuck')) >= 3 || undefined);

  await hollow.stop();
  const attempts = countRequests(proxy, 'PATCH', podStatusPath('stuck'));
  await sleep(300);
  t.is(countRequests(proxy, 'PATCH', podStatusPath('stuck')), attempts);
});

test('retries end when pod is deleted', async (t) => {
  const { api, proxy } = await startHollowBehindProxy(t, { initialBackoffMs: 20, maxBackoffMs: 40 });
  proxy.fault = (method, path) => (method === 'PATCH' && path === podStatusPath('dropped') ? 503 : undefined);
  await createBoundPod(api, 'dropped', 'h-1');
  await waitFor('three status writes', async () => countRequests(proxy, 'PATCH', podStatusPath('dropped')) >= 3 || undefined);

  await api.client.delete(pods, 'default', 'dropped', { gracePeriodSeconds: 0 });
  await waitForGone(api, 'dropped');
  // The hollow nodes' watch delivers the deletion a moment after the apiserver reports it.
  await sleep(100);
  const attempts = countRequests(proxy, 'PATCH', podStatusPath('dropped'));
  await sleep(300);
  t.is(countRequests(proxy, 'PATCH', podStatusPath('dropped')), attempts);
});

test('pods recover after apiserver outage', async (t) => {
  const { api, proxy, log } = await startHollowBehindProxy(t, { initialBackoffMs: 50, maxBackoffMs: 200 });
  const names = Array.from({ length: 20 }, (_, i) => `scale-${i}`);
  proxy.fault = (method, path) => (method === 'PATCH' && path.endsWith('/status') ? 'reset' : undefined);
  for (const [i, name] of names.entries()) await createBoundPod(api, name, `h-${i % 2}`);
  await waitFor('a status write for every pod', async () => names.every((name) => countRequests(proxy, 'PATCH', podStatusPath(name)) > 0) || undefined);

  // Every request fails for a while, the watch included. The informer then resumes its watch, which brings no event
  // because no pod changed, so only the retries bring the pods up.
  const watchesBefore = proxy.requests.filter((request) => request.path.includes('watch=true')).length;
  proxy.fault = () => 'reset';
  proxy.cutConnections();
  await sleep(500);
  proxy.fault = undefined;

  for (const name of names) await waitForRunning(api, name);
  t.true(proxy.requests.filter((request) => request.path.includes('watch=true')).length > watchesBefore);
  const warnings = log.entries.filter((entry) => entry.level === 'warn' && retryMessages.includes(entry.message));
  t.is(warnings.length, names.length);
});

test('registration retries until the apiserver responds', async (t) => {
  const { api, proxy, client } = await startProxiedClient(t);
  // The node list fails once, as if the apiserver were not up yet, and then both node creates fail with 503.
  let listFailures = 0;
  let createFailures = 0;
  proxy.fault = (method, path) => {
    if (method === 'GET' && path.startsWith('/api/v1/nodes') && listFailures < 1) return (listFailures++, 'reset');
    if (method === 'POST' && path === '/api/v1/nodes' && createFailures < 2) return (createFailures++, 503);
    return undefined;
  };
  const log = recordingLogger();
  const hollow = await startHollowNodes({ client, count: 2, namePrefix: 'h-', initialBackoffMs: 50, logger: log.logger });
  t.teardown(() => hollow.stop());

  t.deepEqual(hollow.nodeNames, ['h-0', 'h-1']);
  t.is((await api.client.list<Node>(nodes)).items.length, 2);
  const warnings = log.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
  t.deepEqual(warnings, ['Failed to list nodes, retrying', 'Failed to register hollow nodes, retrying']);
});

test('two processes give out distinct addresses', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  for (const prefix of ['a-', 'b-']) {
    const hollow = await startHollowNodes({ client: api.client, count: 3, namePrefix: prefix });
    t.teardown(() => hollow.stop());
  }
  const list = await api.client.list<Node>(nodes);
  const cidrs = list.items.map((node) => node.spec.podCIDR);
  const addresses = list.items.map((node) => node.status?.addresses?.find((address) => address.type === 'InternalIP')?.address);
  t.is(new Set(cidrs).size, 6);
  t.is(new Set(addresses).size, 6);
});

test('node status heartbeat advances', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  const hollow = await startHollowNodes({ client: api.client, count: 1, namePrefix: 'h-', nodeStatusReportIntervalMs: 300 });
  t.teardown(() => hollow.stop());
  const ready = async () => (await api.client.get<Node>(nodes, undefined, 'h-0')).status?.conditions?.find((condition) => condition.type === 'Ready');
  const first = await ready();
  // Heartbeat times have a resolution of one second.
  const later = await waitFor('a newer heartbeat', async () => {
    const current = await ready();
    return current?.lastHeartbeatTime !== first?.lastHeartbeatTime ? current : undefined;
  }, 5_000);
  t.is(later.status, 'True');
  t.is(later.lastTransitionTime, first?.lastTransitionTime);
});

test('invalid retry backoff is rejected', async (t) => {
  const client = new ApiClient({ server: 'http://127.0.0.1:1' });
  t.teardown(() => client.close());
  for (const [initialBackoffMs, maxBackoffMs] of [[0, 1000], [2000, 1000], [Number.NaN, 1000]]) {
    await t.throwsAsync(startHollowNodes({ client, count: 1, initialBackoffMs, maxBackoffMs }), { instanceOf: RangeError });
  }
});
