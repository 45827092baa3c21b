// Hollow nodes, as kubemark and kwok run them: many simulated nodes in one
// process. Each registers a Node and renews its Lease. Pods bound to it are
// reported Running and Ready without running anything, and pods being deleted
// are removed at once. One pod watch serves all the nodes. A failed status
// write or deletion is retried with a per-pod backoff, and a periodic resync
// queues any bound pod still short of its hollow state, as the kubelet's
// status manager and sync loop do.

import { findApiError, isAlreadyExists, isConflict, isNotFound, patchContentTypes, type ApiClient } from '../../api/client.js';
import { Informer, objectKey, type ReadonlyDeep } from '../../api/informer.js';
import { createLogger, type Logger } from '../../api/log.js';
import { nodes as nodeResource, pods as podResource, resourcePath } from '../../api/resources.js';
import type { KubeObject, Node, Pod } from '../../api/types.js';
import { NodeLease } from '../lease.js';
import { assignIndexes, maxHollowNodes, nodeAddress, PodAddressPool } from './addresses.js';
import { WorkQueue } from '../../controllers/framework/workqueue.js';
import type { HollowNodeState } from './state.js';
import { NodeHeartbeats } from './heartbeats.js';
import { hollowNode } from './node.js';
import { runningPodStatus } from './pod-status.js';
import { RequestPool } from './pool.js';

export interface HollowNodesOptions {
  client: ApiClient;
  count: number;
  cpu?: string;
  memory?: string;
  maxPods?: number;
  namePrefix?: string;
  /** Lease renewal period of each node; 10 s, as the kubelet's. */
  leaseRenewIntervalMs?: number;
  /** Interval in ms at which each node reports its unchanged status with a new heartbeat time. The default is 5 minutes. */
  nodeStatusReportIntervalMs?: number;
  /** Concurrent API requests for registration, status and deletion. */
  concurrency?: number;
  /** Wait in ms before a failed registration, pod status write or deletion is sent again, doubled per failure in a row. The default is 1 s. */
  initialBackoffMs?: number;
  /** Maximum wait in ms between retries of a failed pod status write or deletion. The default is 30 s. */
  maxBackoffMs?: number;
  /** Period in ms of the resync that queues every bound pod not yet in its hollow state. The default is 60 s, as the kubelet's syncFrequency. */
  resyncIntervalMs?: number;
  logger?: Logger;
}

/** A node to register, with the index its addresses come from. */
interface Registration {
  name: string;
  index: number;
}

export interface RunningHollowNodes {
  /** Names of the registered nodes, in index order. */
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

class HollowNodes {
  private readonly logger: Logger;
  private readonly pool: RequestPool;
  private readonly nodes = new Map<string, HollowNodeState>();
  private readonly podInformer: Informer<Pod>;
  /** Pod uid to the address it was given, to return it when the pod goes. */
  private readonly podAddresses = new Map<string, { node: HollowNodeState; address: string }>();
  /**
   * Keys of pods to sync, as client-go's work queue hands them out: one sync
   * of a key at a time, a key that changes meanwhile synced again after it,
   * and a failed key added again after its backoff.
   */
  private readonly queue: WorkQueue<string>;
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Pod key to the resourceVersion that a successful status write or
   * deletion was based on, kept until the watch delivers the result, so that
   * a resync does not send the same write again while the cache is behind.
   */
  private readonly written = new Map<string, string | undefined>();
  private heartbeats: NodeHeartbeats | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running = true;

  constructor(private readonly options: HollowNodesOptions) {
    this.logger = options.logger ?? createLogger('hollow-nodes');
    this.pool = new RequestPool(options.concurrency ?? 32);
    const initialMs = options.initialBackoffMs ?? 1000;
    const maxMs = options.maxBackoffMs ?? 30_000;
    if (!(initialMs > 0) || !(maxMs >= initialMs)) throw new RangeError(`invalid backoff ${initialMs} ms to ${maxMs} ms: expected 0 < initial ≤ max`);
    this.queue = new WorkQueue({ baseDelayMs: initialMs, maxDelayMs: maxMs });
    // Only bound pods concern a node, so pods waiting for the scheduler never reach this process.
    this.podInformer = new Informer<Pod>(options.client, podResource, { logger: this.logger, transform: slimPod, fieldSelector: 'spec.nodeName!=' });
    this.podInformer.addEventHandler({
      add: (pod) => this.onPod(pod),
      update: (_old, pod) => this.onPod(pod),
      delete: (pod) => {
        this.releaseAddress(pod);
        this.queue.forget(objectKey(pod));
        this.written.delete(objectKey(pod));
      },
    });
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  async start(): Promise<void> {
    const { count } = this.options;
    if (!Number.isInteger(count) || count < 1 || count > maxHollowNodes) throw new RangeError(`invalid hollow node count ${count}: expected 1 to ${maxHollowNodes}`);
    const resyncIntervalMs = this.options.resyncIntervalMs ?? 60_000;
    if (!(resyncIntervalMs > 0)) throw new RangeError(`invalid resync interval ${resyncIntervalMs} ms: expected a positive number`);
    const prefix = this.options.namePrefix ?? 'hollow-';
    const started = Date.now();
    this.logger.info('Registering hollow nodes', { count, prefix });

    const names = Array.from({ length: count }, (_, position) => `${prefix}${position}`);
    let unregistered: Registration[] = [];
    await this.untilReachable('list nodes', async () => {
      const existing = await this.options.client.list<Node>(nodeResource);
      const indexes = assignIndexes(names, new Map(existing.items.map((node) => [node.metadata.name ?? '', node.spec?.podCIDR])));
      unregistered = names.map((name, position) => ({ name, index: indexes[position] }));
    });
    await this.untilReachable('register hollow nodes', async () => {
      const { failed, firstError } = await this.registerAll(unregistered);
      unregistered = failed;
      if (failed.length > 0) throw new Error(`${failed.length} of the hollow nodes not registered`, { cause: firstError });
    });
    const heartbeats = new NodeHeartbeats({
      client: this.options.client, logger: this.logger, nodes: [...this.nodes.values()],
      leaseRenewIntervalMs: this.options.leaseRenewIntervalMs, nodeStatusReportIntervalMs: this.options.nodeStatusReportIntervalMs,
      track: (work) => this.track(work),
    });
    // Leases before pods: a node must look alive before the pods on it are reported.
    await Promise.all([...this.nodes.values()].map((node) => this.pool.run(() => heartbeats.renewLease(node))));
    heartbeats.start();
    this.heartbeats = heartbeats;

    for (let worker = 0; worker < (this.options.concurrency ?? 32); worker++) this.track(this.syncPods());
    this.podInformer.start();
    await this.podInformer.waitForSync();
    this.startResync(resyncIntervalMs);
    this.logger.info('Hollow nodes running', { count, tookMs: Date.now() - started });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.heartbeats?.stop();
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    this.podInformer.stop();
    await Promise.allSettled([...this.inFlight]);
    this.logger.info('Hollow nodes stopped', { count: this.nodes.size });
  }

  /**
   * Runs fn until it succeeds, waiting initialBackoffMs and doubling to 10 s
   * between attempts that fail to reach the apiserver, as the kubelet keeps
   * trying to register. Other errors, such as an invalid name, end the attempts.
   */
  private async untilReachable(description: string, fn: () => Promise<void>): Promise<void> {
    for (let delayMs = this.options.initialBackoffMs ?? 1000; ; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        await fn();
        return;
      } catch (error) {
        // Without a response in the cause chain, the apiserver was not reached.
        const response = findApiError(error);
        const retryable = response === undefined || response.code >= 500 || response.code === 429;
        if (!retryable || !this.running) throw error;
        this.logger.warn(`Failed to ${description}, retrying`, { retryInMs: delayMs, err: error });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Registers the nodes, all at once, and returns those that failed with the first error. */
  private async registerAll(registrations: Registration[]): Promise<{ failed: Registration[]; firstError: unknown }> {
    const failed: Registration[] = [];
    let firstError: unknown;
    await Promise.all(registrations.map((entry) => this.pool.run(async () => {
      try {
        await this.register(entry.name, entry.index);
      } catch (error) {
        failed.push(entry);
        firstError ??= error;
      }
    })));
    return { failed, firstError };
  }

  /** Creates the Node, or takes over an existing Node of that name by rewriting its status. */
  private async register(name: string, index: number): Promise<void> {
    const { client } = this.options;
    const desired = hollowNode(name, index, {
      cpu: this.options.cpu ?? '8', memory: this.options.memory ?? '32Gi', maxPods: this.options.maxPods ?? 110,
    }, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    let node: Node;
    try {
      node = await client.create(nodeResource, desired);
    } catch (error) {
      if (!isAlreadyExists(error)) throw new Error(`register hollow node ${name}`, { cause: error });
      const existing = await client.get<Node>(nodeResource, undefined, name);
      node = await client.updateStatus(nodeResource, { ...existing, status: desired.status });
    }
    // The create may have dropped status, as Kubernetes' does for some fields; write it if so.
    if (!node.status?.conditions?.length) node = await client.updateStatus(nodeResource, { ...node, status: desired.status });

    const uid = node.metadata.uid;
    const state: HollowNodeState = {
      name, index, uid, renewing: false, reportingStatus: false, addresses: new PodAddressPool(index),
      registeredAt: node.status?.conditions?.find((condition) => condition.type === 'Ready')?.lastTransitionTime ?? desired.status?.conditions?.[0]?.lastTransitionTime ?? '',
      lease: new NodeLease({
        client, nodeName: name, logger: quiet(this.logger),
        node: () => ({ metadata: { name, uid }, spec: {} }),
      }),
    };
    this.nodes.set(name, state);
  }

  private startResync(intervalMs: number): void {
    this.resyncTimer = setInterval(() => this.resync(), intervalMs);
    this.resyncTimer.unref();
  }

  /** Queues every cached pod that is bound here and not yet in its hollow state, in case an event or a retry was missed. */
  private resync(): void {
    let queued = 0;
    for (const pod of this.podInformer.list()) {
      const key = objectKey(pod);
      // A write whose result has not come back yet is skipped for one period only, in case the apiserver lost the write.
      const skip = this.written.has(key) && this.written.get(key) === pod.metadata.resourceVersion;
      this.written.delete(key);
      if (skip) continue;
      // A pod already in the queue, in flight or waiting out its backoff is left to it, so that a resync during an
      // outage does not resend every failed request at once.
      if (this.queue.has(key)) continue;
      if (this.enqueue(pod)) queued++;
    }
    if (queued > 0) this.logger.debug('Resync queued pods', { count: queued });
  }

  /** Returns the node of a pod that is bound to one of these nodes and not yet in its hollow state, or undefined. */
  private nodeToSync(pod: ReadonlyDeep<Pod>): HollowNodeState | undefined {
    const node = pod.spec.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
    if (!node) return undefined;
    if (!pod.metadata.deletionTimestamp && (pod.status?.phase === 'Running' || isTerminal(pod))) return undefined;
    return node;
  }

  private onPod(pod: ReadonlyDeep<Pod>): void {
    // A new version of the pod is the result of any earlier write, or makes that write stale.
    this.written.delete(objectKey(pod));
    this.enqueue(pod);
  }

  /** Queues a sync of pod if it needs one, and returns whether it does. */
  private enqueue(pod: ReadonlyDeep<Pod>): boolean {
    if (!this.running || !this.nodeToSync(pod)) return false;
    this.queue.add(objectKey(pod));
    return true;
  }

  /** Takes pod keys from the queue and syncs each, until the queue shuts down. */
  private async syncPods(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        await this.syncPod(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Brings one pod to its hollow state: deleted if it is being deleted, Running and Ready otherwise. */
  private async syncPod(key: string): Promise<void> {
    const pod = this.podInformer.get(key);
    if (!this.running) return;
    const node = pod ? this.nodeToSync(pod) : undefined;
    if (!pod || !node) {
      // A pod that is gone or already in its hollow state needs no sync, nor any more retries.
      this.queue.forget(key);
      return;
    }
    // A write based on this version of the pod succeeded already, and its result has not come back on the watch yet.
    if (this.written.has(key) && this.written.get(key) === pod.metadata.resourceVersion) return;
    const { client } = this.options;
    const identity = { pod: key, node: node.name };
    try {
      if (pod.metadata.deletionTimestamp) {
        // Nothing runs, so there is nothing to stop: finish the deletion at once.
        await client.delete(podResource, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        this.written.set(key, pod.metadata.resourceVersion);
        this.queue.forget(key);
        this.logger.debug('Deleted pod', identity);
        return;
      }
      const address = this.addressFor(pod, node);
      if (!address) {
        this.logger.warn('No pod address left on hollow node', identity);
        return;
      }
      // A merge patch, because the cache keeps only part of the pod and a PUT would need all of it.
      const status = runningPodStatus(pod, nodeAddress(node.index), address, Date.now());
      // The patched pod comes back on the watch, so the response is not parsed.
      await client.send('PATCH', resourcePath(podResource, pod.metadata.namespace, pod.metadata.name ?? '', 'status'), { status }, patchContentTypes.merge);
      this.written.set(key, pod.metadata.resourceVersion);
      this.queue.forget(key);
      this.logger.debug('Pod running', identity);
    } catch (error) {
      this.onSyncError(key, identity, error);
    }
  }

  /** Schedules the retry of a failed sync, except where a watch event or nothing at all follows. */
  private onSyncError(key: string, identity: { pod: string; node: string }, error: unknown): void {
    if (isNotFound(error)) {
      this.queue.forget(key);
      return;
    }
    if (isConflict(error)) {
      // The pod changed during the request, so its update event queues it again. The resync covers an event that never comes.
      this.logger.debug('Pod changed during sync', identity);
      return;
    }
    // A request that stop() cut short is not retried.
    if (!this.running) return;
    const delayMs = this.queue.backoff(this.queue.numRequeues(key));
    this.queue.addRateLimited(key);
    const failures = this.queue.numRequeues(key);
    const fields = { ...identity, retryInMs: delayMs, failures, err: error };
    // An apiserver outage fails every pod at once, so only the first failure in a row of each pod is a warning.
    if (failures === 1) this.logger.warn('Failed to sync pod on hollow node, retrying', fields);
    else this.logger.debug('Failed to sync pod on hollow node again, retrying', fields);
  }

  private addressFor(pod: ReadonlyDeep<Pod>, node: HollowNodeState): string | undefined {
    const uid = pod.metadata.uid ?? objectKey(pod);
    const known = this.podAddresses.get(uid);
    if (known) return known.address;
    const address = node.addresses.allocate();
    if (address) this.podAddresses.set(uid, { node, address });
    return address;
  }

  private releaseAddress(pod: ReadonlyDeep<Pod>): void {
    const uid = pod.metadata.uid ?? objectKey(pod);
    const known = this.podAddresses.get(uid);
    if (!known) return;
    known.node.addresses.release(known.address);
    this.podAddresses.delete(uid);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

/**
 * Keeps only what a hollow node reads from a pod, so that the cache of every
 * bound pod in the cluster stays small: with 10,000 pods, managedFields and
 * unused spec fields would take tens of MB.
 */
function slimPod(object: KubeObject): KubeObject {
  const { metadata, spec, status } = object as Pod;
  const slim: Pod = {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      deletionTimestamp: metadata.deletionTimestamp,
    },
    spec: {
      nodeName: spec.nodeName,
      containers: spec.containers.map(({ name, image, resources }) => ({ name, image, resources })),
      initContainers: spec.initContainers?.map(({ name, image, resources }) => ({ name, image, resources })),
    },
    status: {
      phase: status?.phase,
      startTime: status?.startTime,
      conditions: status?.conditions?.filter((condition) => condition.type === 'PodScheduled'),
    },
  };
  return slim;
}

function isTerminal(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Demotes the shared lease code's per-node info lines to debug: with thousands of nodes they would flood the log. */
function quiet(logger: Logger): Logger {
  return { ...logger, info: logger.debug };
}

/** Registers count hollow nodes and runs them until stop(). */
export async function startHollowNodes(options: HollowNodesOptions): Promise<RunningHollowNodes> {
  const hollow = new HollowNodes(options);
  await hollow.start();
  return { nodeNames: hollow.nodeNames, stop: () => hollow.stop() };
}
