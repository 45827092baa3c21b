// The node lifecycle controller watches node heartbeats: the node's Lease in
// kube-node-lease and its Ready condition. A node silent for the grace
// period gets its conditions set to Unknown and the unreachable taints.
// Pods on a node with NoExecute taints are evicted once their toleration
// time runs out, so their ReplicaSets replace them elsewhere. The taints go
// when the kubelet reports Ready again.
//
// Silence is measured with this controller's own clock, from the moment it
// observed the last change of the Lease's renewTime or the Ready condition's
// heartbeat, so clock skew between machines does not matter.

import { ApiClient, isNotFound } from '../../api/client.js';
import { objectKey, type Informer, type ReadonlyDeep } from '../../api/informer.js';
import { createLogger, type Logger } from '../../api/log.js';
import { leases, nodes as nodeResource, pods as podResource } from '../../api/resources.js';
import type { Lease, Node, NodeCondition, Pod } from '../../api/types.js';
import { ControllerLoop, type ReconcileResult } from '../framework/controller.js';
import type { EventRecorder } from '../framework/events.js';
import type { SharedInformers } from '../framework/informers.js';
import { identityOf } from '../framework/owners.js';
import { isPodReady } from '../framework/pods.js';
import { updateLive } from '../framework/update.js';
import { desiredConditionTaints, evictionTime, reconcileTaints, taintsEqual } from './taints.js';

export const nodeLeaseNamespace = 'kube-node-lease';

export interface NodeLifecycleControllerOptions {
  client: ApiClient;
  informers: SharedInformers;
  recorder: EventRecorder;
  /** Seconds without a heartbeat before a node is marked unknown (40 by default). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Seconds a pod without its own toleration stays on an unreachable or not-ready node (300). */
  defaultTolerationSeconds?: number;
  workers?: number;
  now?: () => number;
}

interface Heartbeat {
  leaseRenewTime: string | undefined;
  readyHeartbeat: string | undefined;
  /** This controller's clock when it last saw either change. */
  observedAt: number;
}

export class NodeLifecycleController {
  readonly loop: ControllerLoop;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly podsByNode = new Map<string, Map<string, ReadonlyDeep<Pod>>>();
  private readonly heartbeats = new Map<string, Heartbeat>();
  private readonly graceMs: number;
  private readonly defaultTolerationSeconds: number;
  private readonly now: () => number;
  private readonly logger: Logger = createLogger('node-lifecycle-controller');

  constructor(options: NodeLifecycleControllerOptions) {
    this.client = options.client;
    this.recorder = options.recorder;
    this.graceMs = (options.nodeMonitorGracePeriodSeconds ?? 40) * 1000;
    this.defaultTolerationSeconds = options.defaultTolerationSeconds ?? 300;
    this.now = options.now ?? Date.now;
    this.nodes = options.informers.get<Node>(nodeResource);
    this.leases = options.informers.get<Lease>(leases, nodeLeaseNamespace);
    this.loop = new ControllerLoop({ name: 'node-lifecycle-controller', reconciler: this, workers: options.workers, logger: this.logger });

    this.nodes.addEventHandler({
      add: (node) => this.loop.enqueue(node.metadata.name ?? ''),
      update: (_old, node) => this.loop.enqueue(node.metadata.name ?? ''),
      delete: (node) => this.heartbeats.delete(node.metadata.name ?? ''),
    });
    this.leases.addEventHandler({
      add: (lease) => this.loop.enqueue(lease.metadata.name ?? ''),
      update: (_old, lease) => this.loop.enqueue(lease.metadata.name ?? ''),
    });
    const pods = options.informers.get<Pod>(podResource);
    pods.addEventHandler({
      add: (pod) => this.filePod(undefined, pod),
      update: (old, pod) => this.filePod(old, pod),
      delete: (pod) => this.filePod(pod, undefined),
    });
  }

  /** Keeps the index of pods by node; a pod newly bound to a tainted node is looked at at once. */
  private filePod(old: ReadonlyDeep<Pod> | undefined, pod: ReadonlyDeep<Pod> | undefined): void {
    const oldNode = old?.spec.nodeName;
    if (old && oldNode) {
      const onNode = this.podsByNode.get(oldNode);
      onNode?.delete(objectKey(old));
      if (onNode?.size === 0) this.podsByNode.delete(oldNode);
    }

    const newNode = pod?.spec.nodeName;
    if (!pod || !newNode) return;
    let onNode = this.podsByNode.get(newNode);
    if (!onNode) {
      onNode = new Map();
      this.podsByNode.set(newNode, onNode);
    }
    onNode.set(objectKey(pod), pod);
    if (oldNode !== newNode && this.nodes.get(newNode)?.spec.taints?.some((taint) => taint.effect === 'NoExecute')) this.loop.enqueue(newNode);
  }

  /** Returns when this controller last saw the node's kubelet alive, updating the record from the cache. */
  private lastHeartbeat(node: ReadonlyDeep<Node>): number {
    const name = node.metadata.name ?? '';
    const leaseRenewTime = this.leases.get(`${nodeLeaseNamespace}/${name}`)?.spec.renewTime;
    const readyHeartbeat = readyConditionOf(node)?.lastHeartbeatTime;
    const previous = this.heartbeats.get(name);
    if (!previous || previous.leaseRenewTime !== leaseRenewTime || previous.readyHeartbeat !== readyHeartbeat) {
      const record = { leaseRenewTime, readyHeartbeat, observedAt: this.now() };
      this.heartbeats.set(name, record);
      return record.observedAt;
    }
    return previous.observedAt;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const node = this.nodes.get(name);
    if (!node) return;
    const now = this.now();

    const silentForMs = now - this.lastHeartbeat(node);
    const ready = readyConditionOf(node);
    if (silentForMs > this.graceMs && ready?.status !== 'Unknown') {
      await this.markUnknown(node);
      return;
    }

    if (await this.syncTaints(node)) return;
    if (ready?.status !== 'True' && ready !== undefined) await this.markPodsNotReady(node);

    const nextEvictionInMs = await this.evictPods(node, now);
    const untilSilentMs = ready?.status === 'Unknown' ? undefined : this.graceMs - silentForMs + 100;
    const delays = [nextEvictionInMs, untilSilentMs].filter((delay): delay is number => delay !== undefined);
    return delays.length > 0 ? { requeueAfterMs: Math.max(0, Math.min(...delays)) } : undefined;
  }

  /** Sets every node condition to Unknown, as upstream does when the kubelet stops reporting. */
  private async markUnknown(node: ReadonlyDeep<Node>): Promise<void> {
    const now = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const updated = structuredClone(node) as Node;
    const conditions: NodeCondition[] = updated.status?.conditions ?? [];
    if (!conditions.some((condition) => condition.type === 'Ready')) conditions.push({ type: 'Ready', status: 'Unknown' });
    for (const condition of conditions) {
      if (condition.status !== 'Unknown') condition.lastTransitionTime = now;
      condition.status = 'Unknown';
      condition.reason = 'NodeStatusUnknown';
      condition.message = 'Kubelet stopped posting node status.';
    }
    updated.status = { ...(updated.status ?? {}), conditions };
    await this.client.updateStatus<Node>(nodeResource, updated);
    this.logger.info('Node stopped posting status, marking it unknown', { node: node.metadata.name, graceSeconds: this.graceMs / 1000 });
    this.recorder.event(identityOf(nodeResource, node), 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
  }

  /** Brings the node's condition taints in line with its Ready condition; returns whether it wrote the node. */
  private async syncTaints(node: ReadonlyDeep<Node>): Promise<boolean> {
    const current = node.spec.taints ?? [];
    const desired = desiredConditionTaints(readyConditionOf(node));
    const taints = reconcileTaints(current, desired, new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z'));
    if (taintsEqual(current, taints)) return false;

    const updated = structuredClone(node) as Node;
    updated.spec = { ...updated.spec, taints };
    await this.client.update<Node>(nodeResource, updated);
    this.logger.info('Updated node condition taints', { node: node.metadata.name, taints: taints.map((taint) => `${taint.key}:${taint.effect}`) });
    return true;
  }

  /**
   * Sets the Ready condition of the node's pods to False, as upstream does
   * for a node that is not ready, so ReplicaSets and Deployments stop
   * counting them as available before they are evicted.
   */
  private async markPodsNotReady(node: ReadonlyDeep<Node>): Promise<void> {
    const now = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const pod of this.podsByNode.get(node.metadata.name ?? '')?.values() ?? []) {
      if (pod.metadata.deletionTimestamp !== undefined || !isPodReady(pod)) continue;
      const written = await updateLive<Pod>(this.client, podResource, pod, (live) => {
        const ready = live.status?.conditions?.find((condition) => condition.type === 'Ready');
        if (!ready || ready.status === 'False') return false;
        ready.status = 'False';
        ready.lastTransitionTime = now;
      }, 'status');
      if (written) this.logger.info('Marked pod not ready on a node that is not ready', { pod: objectKey(pod), node: node.metadata.name });
    }
  }

  /** Evicts pods whose toleration of the node's NoExecute taints ran out; returns the delay until the next one. */
  private async evictPods(node: ReadonlyDeep<Node>, now: number): Promise<number | undefined> {
    const taints = node.spec.taints ?? [];
    if (!taints.some((taint) => taint.effect === 'NoExecute')) return undefined;

    let next: number | undefined;
    for (const pod of this.podsByNode.get(node.metadata.name ?? '')?.values() ?? []) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      const at = evictionTime(pod, taints, this.defaultTolerationSeconds, now);
      if (at === undefined) continue;
      if (at > now) {
        next = Math.min(next ?? at - now, at - now);
        continue;
      }
      await this.evict(pod);
    }
    return next;
  }

  private async evict(pod: ReadonlyDeep<Pod>): Promise<void> {
    try {
      await this.client.delete(podResource, pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`evict pod ${objectKey(pod)} from node ${pod.spec.nodeName}`, { cause: error });
    }
    this.logger.info('Evicted pod from tainted node', { pod: objectKey(pod), node: pod.spec.nodeName });
    this.recorder.event(identityOf(podResource, pod), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${objectKey(pod)}`);
  }
}

function readyConditionOf(node: ReadonlyDeep<Node>): ReadonlyDeep<NodeCondition> | undefined {
  return node.status?.conditions?.find((condition) => condition.type === 'Ready');
}
