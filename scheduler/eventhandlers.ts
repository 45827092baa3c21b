// The scheduler's informer event handlers. Bound pods and nodes update the
// cache, pending pods enter the queue, and a change that could let a waiting
// pod fit moves it out of unschedulablePods.

import type { ReadonlyDeep } from '../api/informer.js';
import type { Node, Pod } from '../api/types.js';
import type { SchedulerCache } from './cache.js';
import { controllerUID, newPodInfo } from './podinfo.js';
import type { ClusterEvent, SchedulingQueue } from './queue.js';

/** Filters that a removed or shrunk bound pod could satisfy: it frees resources and host ports. */
const assignedPodDeleteEvent: ClusterEvent = { label: 'AssignedPodDelete', plugins: new Set(['NodeResourcesFit', 'NodePorts']) };
const nodeAddEvent: ClusterEvent = { label: 'NodeAdd' };

export function isAssigned(pod: ReadonlyDeep<Pod>): boolean {
  return Boolean(pod.spec.nodeName);
}

function isTerminal(pod: ReadonlyDeep<Pod>): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function readyStatus(node: ReadonlyDeep<Node>): string | undefined {
  return node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status;
}

/** Names the filters whose verdict a node update could turn from reject to accept; undefined when none. */
export function nodeUpdateEvent(oldNode: ReadonlyDeep<Node>, newNode: ReadonlyDeep<Node>): ClusterEvent | undefined {
  const plugins = new Set<string>();
  if (Boolean(oldNode.spec.unschedulable) !== Boolean(newNode.spec.unschedulable)) plugins.add('NodeUnschedulable');
  if (JSON.stringify(oldNode.spec.taints ?? []) !== JSON.stringify(newNode.spec.taints ?? []) || readyStatus(oldNode) !== readyStatus(newNode)) {
    plugins.add('TaintToleration');
  }
  if (JSON.stringify(oldNode.metadata.labels ?? {}) !== JSON.stringify(newNode.metadata.labels ?? {})) plugins.add('NodeAffinity');
  if (JSON.stringify(oldNode.status?.allocatable ?? {}) !== JSON.stringify(newNode.status?.allocatable ?? {})) plugins.add('NodeResourcesFit');
  return plugins.size > 0 ? { label: 'NodeUpdate', plugins } : undefined;
}

function podSpecChanged(oldPod: ReadonlyDeep<Pod>, newPod: ReadonlyDeep<Pod>): boolean {
  return JSON.stringify(oldPod.spec) !== JSON.stringify(newPod.spec) ||
    JSON.stringify(oldPod.metadata.labels ?? {}) !== JSON.stringify(newPod.metadata.labels ?? {});
}

export interface HandlerContext {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  schedulerName: string;
}

function responsibleFor(context: HandlerContext, pod: ReadonlyDeep<Pod>): boolean {
  return (pod.spec.schedulerName ?? 'default-scheduler') === context.schedulerName;
}

export function onPodAdd(context: HandlerContext, pod: ReadonlyDeep<Pod>): void {
  if (isAssigned(pod)) {
    if (!isTerminal(pod)) context.cache.addOrUpdatePod(newPodInfo(pod), pod.spec.nodeName ?? '');
    return;
  }
  if (responsibleFor(context, pod) && !pod.metadata.deletionTimestamp) context.queue.add(newPodInfo(pod));
}

/**
 * Reports whether an update of a bound pod leaves what the cache counts for
 * it unchanged: the node, the containers' requests and ports, the priority
 * and the controlling owner, with neither version finished. Most updates of
 * bound pods are their kubelet's status writes, which this lets through
 * without recounting the node.
 */
function sameBoundPod(oldPod: ReadonlyDeep<Pod>, newPod: ReadonlyDeep<Pod>): boolean {
  if (!isAssigned(oldPod) || oldPod.spec.nodeName !== newPod.spec.nodeName || isTerminal(oldPod) || isTerminal(newPod)) return false;
  const counted = (pod: ReadonlyDeep<Pod>) => JSON.stringify([pod.spec.containers, pod.spec.initContainers, pod.spec.priority]);
  return controllerUID(oldPod) === controllerUID(newPod) && counted(oldPod) === counted(newPod);
}

export function onPodUpdate(context: HandlerContext, oldPod: ReadonlyDeep<Pod>, newPod: ReadonlyDeep<Pod>): void {
  if (isAssigned(newPod) && newPod.metadata.uid && context.cache.isConfirmed(newPod.metadata.uid) && sameBoundPod(oldPod, newPod)) return;
  const info = newPodInfo(newPod);
  if (isAssigned(newPod)) {
    context.queue.delete(info.key);
    if (isTerminal(newPod)) {
      // A finished pod no longer uses its resources.
      context.cache.removePod(info.uid);
      context.queue.moveOnEvent(assignedPodDeleteEvent);
    } else {
      context.cache.addOrUpdatePod(info, newPod.spec.nodeName ?? '');
    }
    return;
  }
  // A pod assumed onto a node is being bound; its own updates must not queue it twice.
  if (context.cache.isAssumed(info.uid)) return;
  if (newPod.metadata.deletionTimestamp || !responsibleFor(context, newPod)) {
    context.queue.delete(info.key);
    return;
  }
  context.queue.update(info, podSpecChanged(oldPod, newPod));
}

export function onPodDelete(context: HandlerContext, pod: ReadonlyDeep<Pod>): void {
  const info = newPodInfo(pod);
  context.queue.delete(info.key);
  context.cache.removePod(info.uid);
  if (isAssigned(pod)) context.queue.moveOnEvent(assignedPodDeleteEvent);
}

export function onNodeAdd(context: HandlerContext, node: ReadonlyDeep<Node>): void {
  context.cache.addOrUpdateNode(node);
  context.queue.moveOnEvent(nodeAddEvent);
}

export function onNodeUpdate(context: HandlerContext, oldNode: ReadonlyDeep<Node>, newNode: ReadonlyDeep<Node>): void {
  context.cache.addOrUpdateNode(newNode);
  const event = nodeUpdateEvent(oldNode, newNode);
  if (event) context.queue.moveOnEvent(event);
}

export function onNodeDelete(context: HandlerContext, node: ReadonlyDeep<Node>): void {
  context.cache.removeNode(node.metadata.name ?? '');
}

export { assignedPodDeleteEvent };
