// Hollow nodes, as kubemark and kwok run them: many simulated nodes in one
// process. Each registers a Node and renews its Lease. Pods bound to it are
// reported Running and Ready without running anything, and pods being deleted
// are removed at once. One pod watch serves all the nodes.

import { isAlreadyExists, isConflict, isNotFound, patchContentTypes, type ApiClient } from '../../api/client.js';
import { Informer, objectKey, type ReadonlyDeep } from '../../api/informer.js';
import { createLogger, type Logger } from '../../api/log.js';
import { nodes as nodeResource, pods as podResource, resourcePath } from '../../api/resources.js';
import type { KubeObject, Node, Pod } from '../../api/types.js';
import { NodeLease } from '../lease.js';
import { maxHollowNodes, nodeAddress, PodAddressPool } from './addresses.js';
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
  /** Concurrent API requests for registration, status and deletion. */
  concurrency?: number;
  logger?: Logger;
}

export interface RunningHollowNodes {
  /** Names of the registered nodes, in index order. */
  readonly nodeNames: readonly string[];
  stop(): Promise<void>;
}

interface HollowNodeState {
  name: string;
  index: number;
  uid: string | undefined;
  lease: NodeLease;
  addresses: PodAddressPool;
  renewing: boolean;
}

/** Renewals run on ticks of this length, a slice of the nodes per tick, so that leases are spread over the period. */
const leaseTickMs = 100;

class HollowNodes {
  private readonly logger: Logger;
  private readonly pool: RequestPool;
  private readonly nodes = new Map<string, HollowNodeState>();
  private readonly podInformer: Informer<Pod>;
  /** Pod uid to the address it was given, to return it when the pod goes. */
  private readonly podAddresses = new Map<string, { node: HollowNodeState; address: string }>();
  /** Pod keys with a status write or deletion queued or in flight. */
  private readonly pending = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private running = true;

  constructor(private readonly options: HollowNodesOptions) {
    this.logger = options.logger ?? createLogger('hollow-nodes');
    this.pool = new RequestPool(options.concurrency ?? 32);
    // Only bound pods concern a node, so pods waiting for the scheduler never reach this process.
    this.podInformer = new Informer<Pod>(options.client, podResource, { logger: this.logger, transform: slimPod, fieldSelector: 'spec.nodeName!=' });
    this.podInformer.addEventHandler({
      add: (pod) => this.onPod(pod),
      update: (_old, pod) => this.onPod(pod),
      delete: (pod) => this.releaseAddress(pod),
    });
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  async start(): Promise<void> {
    const { count } = this.options;
    if (!Number.isInteger(count) || count < 1 || count > maxHollowNodes) throw new RangeError(`invalid hollow node count ${count}: expected 1 to ${maxHollowNodes}`);
    const prefix = this.options.namePrefix ?? 'hollow-';
    const started = Date.now();
    this.logger.info('Registering hollow nodes', { count, prefix });

    await Promise.all(Array.from({ length: count }, (_, index) => this.pool.run(() => this.register(`${prefix}${index}`, index))));
    // Leases before pods: a node must look alive before the pods on it are reported.
    await Promise.all([...this.nodes.values()].map((node) => this.pool.run(() => this.renewLease(node))));
    this.startLeaseRenewal();

    this.podInformer.start();
    await this.podInformer.waitForSync();
    this.logger.info('Hollow nodes running', { count, tookMs: Date.now() - started });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.leaseTimer);
    this.podInformer.stop();
    await Promise.allSettled([...this.inFlight]);
    this.logger.info('Hollow nodes stopped', { count: this.nodes.size });
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
      name, index, uid, renewing: false, addresses: new PodAddressPool(index),
      lease: new NodeLease({
        client, nodeName: name, logger: quiet(this.logger),
        node: () => ({ metadata: { name, uid }, spec: {} }),
      }),
    };
    this.nodes.set(name, state);
  }

  private startLeaseRenewal(): void {
    const slots = Math.max(1, Math.round((this.options.leaseRenewIntervalMs ?? 10_000) / leaseTickMs));
    const states = [...this.nodes.values()];
    let tick = 0;
    this.leaseTimer = setInterval(() => {
      const slot = tick++ % slots;
      for (let i = slot; i < states.length; i += slots) {
        const node = states[i];
        // Skip a node whose previous renewal is still waiting for the apiserver.
        if (!node.renewing) this.track(this.renewLease(node));
      }
    }, leaseTickMs);
    this.leaseTimer.unref();
  }

  private async renewLease(node: HollowNodeState): Promise<void> {
    node.renewing = true;
    try {
      await node.lease.renew();
    } catch (error) {
      this.logger.warn('Failed to renew node lease, retrying next period', { node: node.name, err: error });
    } finally {
      node.renewing = false;
    }
  }

  private onPod(pod: ReadonlyDeep<Pod>): void {
    const node = pod.spec.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
    if (!node || !this.running) return;
    if (!pod.metadata.deletionTimestamp && (pod.status?.phase === 'Running' || isTerminal(pod))) return;
    const key = objectKey(pod);
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.track(this.pool.run(() => this.sync(key, node)));
  }

  /** Brings one pod to its hollow state: deleted if it is being deleted, Running and Ready otherwise. */
  private async sync(key: string, node: HollowNodeState): Promise<void> {
    this.pending.delete(key);
    const pod = this.podInformer.get(key);
    if (!pod || !this.running) return;
    const { client } = this.options;
    const identity = { pod: key, node: node.name };
    try {
      if (pod.metadata.deletionTimestamp) {
        // Nothing runs, so there is nothing to stop: finish the deletion at once.
        await client.delete(podResource, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        this.logger.debug('Deleted pod', identity);
        return;
      }
      if (pod.status?.phase === 'Running' || isTerminal(pod)) return;
      const address = this.addressFor(pod, node);
      if (!address) {
        this.logger.warn('No pod address left on hollow node', identity);
        return;
      }
      // A merge patch, because the cache keeps only part of the pod and a PUT would need all of it.
      const status = runningPodStatus(pod, nodeAddress(node.index), address, Date.now());
      // The patched pod comes back on the watch, so the response is not parsed.
      await client.send('PATCH', resourcePath(podResource, pod.metadata.namespace, pod.metadata.name ?? '', 'status'), { status }, patchContentTypes.merge);
      this.logger.debug('Pod running', identity);
    } catch (error) {
      if (isNotFound(error)) return;
      if (isConflict(error)) {
        // The pod changed under us; its update event queues it again.
        this.logger.debug('Pod changed during sync', identity);
        return;
      }
      this.logger.warn('Failed to sync pod on hollow node', { ...identity, err: error });
    }
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
