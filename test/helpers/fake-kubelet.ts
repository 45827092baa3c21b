// A stand-in for the scheduler and the kubelets in controller tests. It
// registers nodes and renews their Leases, and binds unscheduled pods to them
// round-robin. It reports bound pods Running and Ready through the status
// subresource. It deletes terminating pods with grace period 0, as a kubelet
// does once the containers are gone. No container ever runs.

import type { ApiClient } from '../../api/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/client.js';
import { Informer, objectKey, type ReadonlyDeep } from '../../api/informer.js';
import { leases, nodes as nodeResource, pods as podResource } from '../../api/resources.js';
import type { Lease, Node, Pod, PodCondition } from '../../api/types.js';
import { WorkQueue } from '../../controllers/framework/workqueue.js';

export interface FakeKubeletOptions {
  client: ApiClient;
  /** Nodes to register and serve; one node, `node-1`, by default. */
  nodeNames?: string[];
  /** Decides whether a pod becomes Ready; every pod does by default. */
  ready?: (pod: ReadonlyDeep<Pod>) => boolean;
  /** Delay between binding (or seeing) a pod and reporting it Ready. */
  readyDelayMs?: number;
  /** Lease renewal interval of every node (1 s by default). */
  heartbeatMs?: number;
  /** Register Node objects and renew their Leases (true by default). */
  registerNodes?: boolean;
  /** Concurrent pod status writes (8 by default). */
  workers?: number;
}

export interface FakeKubelet {
  /** Stops one node's heartbeats and pod handling, as if its kubelet had died. */
  stopNode(name: string): void;
  /** Restarts a stopped node: heartbeats resume and it reports Ready again. */
  resumeNode(name: string): Promise<void>;
  /** Replaces the readiness decision; pods are re-examined. */
  setReady(ready: (pod: ReadonlyDeep<Pod>) => boolean): void;
  stop(): Promise<void>;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');
const metaTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function newNode(name: string, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {
      capacity: { cpu: '64', memory: '256Gi', pods: '11000' },
      allocatable: { cpu: '64', memory: '256Gi', pods: '11000' },
      conditions: [readyNodeCondition(now)],
    },
  };
}

function readyNodeCondition(now: number): NonNullable<NonNullable<Node['status']>['conditions']>[number] {
  return { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: metaTime(now), lastTransitionTime: metaTime(now) };
}

export async function startFakeKubelet(options: FakeKubeletOptions): Promise<FakeKubelet> {
  const { client } = options;
  const nodeNames = options.nodeNames ?? ['node-1'];
  let ready = options.ready ?? (() => true);
  const stopped = new Set<string>();
  const heartbeatMs = options.heartbeatMs ?? 1000;
  let nextNode = 0;

  if (options.registerNodes !== false) {
    for (const name of nodeNames) await registerNode(client, name);
  }

  const pods = new Informer<Pod>(client, podResource);
  const queue = new WorkQueue<string>({ baseDelayMs: 20, maxDelayMs: 1000 });
  pods.addEventHandler({
    add: (pod) => queue.add(objectKey(pod)),
    update: (_old, pod) => queue.add(objectKey(pod)),
  });

  const handle = async (key: string): Promise<void> => {
    const pod = pods.get(key);
    if (!pod) return;
    const nodeName = pod.spec.nodeName;
    if (nodeName && stopped.has(nodeName)) return;

    if (pod.metadata.deletionTimestamp !== undefined) {
      await client.delete(podResource, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
      return;
    }
    if (!nodeName) {
      const live = nodeNames.filter((name) => !stopped.has(name));
      if (live.length === 0) return;
      const target = live[nextNode++ % live.length];
      await client.createSubresource(podResource, pod.metadata.namespace, pod.metadata.name ?? '', 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace }, target: { kind: 'Node', name: target },
      });
      return;
    }

    const wantReady = ready(pod);
    const isReady = pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
    if (pod.status?.phase === 'Running' && wantReady === isReady) return;
    if (wantReady && options.readyDelayMs) await new Promise((resolve) => setTimeout(resolve, options.readyDelayMs));
    await client.updateStatus<Pod>(podResource, withRunningStatus(pods.get(key) ?? pod, wantReady));
  };

  let running = true;
  const workers = Array.from({ length: options.workers ?? 8 }, async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await handle(key);
        queue.forget(key);
      } catch (error) {
        if (!isNotFound(error)) queue.addRateLimited(key);
        if (!isNotFound(error) && !isConflict(error) && running) process.stderr.write(`fake kubelet: ${key}: ${(error as Error).message}\n`);
      }
      queue.done(key);
    }
  });

  const heartbeat = setInterval(() => {
    for (const name of nodeNames) {
      if (!stopped.has(name) && options.registerNodes !== false) void renewLease(client, name).catch(() => undefined);
    }
  }, heartbeatMs);
  heartbeat.unref();

  pods.start();
  await pods.waitForSync();

  const requeueAll = () => {
    for (const pod of pods.list()) queue.add(objectKey(pod));
  };

  return {
    stopNode: (name) => {
      stopped.add(name);
    },
    resumeNode: async (name) => {
      stopped.delete(name);
      await renewLease(client, name);
      await postReady(client, name);
      requeueAll();
    },
    setReady: (decide) => {
      ready = decide;
      requeueAll();
    },
    stop: async () => {
      running = false;
      clearInterval(heartbeat);
      pods.stop();
      queue.shutDown();
      await Promise.all(workers);
    },
  };
}

/** Returns a copy of pod reporting Running, with Ready and ContainersReady set to ready. */
function withRunningStatus(pod: ReadonlyDeep<Pod>, ready: boolean): Pod {
  const copy = structuredClone(pod) as Pod;
  const now = metaTime(Date.now());
  const status = ready ? 'True' : 'False';
  const previous = pod.status?.conditions?.find((condition) => condition.type === 'Ready');
  const transition = previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now;
  const conditions: PodCondition[] = [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'ContainersReady', status, lastTransitionTime: transition },
    { type: 'Ready', status, lastTransitionTime: transition },
  ];
  copy.status = {
    ...(copy.status ?? {}),
    phase: 'Running',
    conditions,
    hostIP: '10.0.0.1',
    podIP: '10.244.0.10',
    startTime: copy.status?.startTime ?? now,
    containerStatuses: pod.spec.containers.map((container) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: now } },
    })),
  };
  return copy;
}

async function registerNode(client: ApiClient, name: string): Promise<void> {
  try {
    await client.create<Node>(nodeResource, newNode(name, Date.now()));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  await renewLease(client, name);
}

async function postReady(client: ApiClient, name: string): Promise<void> {
  const node = await client.get<Node>(nodeResource, undefined, name);
  node.status = { ...(node.status ?? {}), conditions: [readyNodeCondition(Date.now())] };
  await client.updateStatus<Node>(nodeResource, node);
}

async function renewLease(client: ApiClient, name: string): Promise<void> {
  const now = Date.now();
  try {
    const lease = await client.get<Lease>(leases, 'kube-node-lease', name);
    lease.spec = { ...lease.spec, holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) };
    await client.update<Lease>(leases, lease);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await client.create<Lease>(leases, {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) },
    });
  }
}
