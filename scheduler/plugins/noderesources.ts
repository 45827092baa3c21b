// NodeResourcesFit and NodeResourcesBalancedAllocation: a pod fits a node
// when its cpu and memory requests and one more pod slot fit in what the
// node's allocatable leaves after the pods already bound or assumed there.
// Among the nodes that fit, the least allocated and the most evenly used
// score highest.

import { maxNodeScore, unresolvable, unschedulable, type FilterPlugin, type FilterStatus, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';

const fitName = 'NodeResourcesFit';
const balancedName = 'NodeResourcesBalancedAllocation';

export const nodeResourcesFitFilter: FilterPlugin = {
  name: fitName,
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
    const { milliCPU, memory } = pod.requests;
    const tooManyPods = node.pods.size + 1 > node.allocatable.pods;
    const cpuShort = milliCPU > 0 && milliCPU > node.allocatable.milliCPU - node.requested.milliCPU;
    const memoryShort = memory > 0 && memory > node.allocatable.memory - node.requested.memory;
    // Most nodes fit, and this runs for every node sampled for every pod, so the fit allocates nothing.
    if (!tooManyPods && !cpuShort && !memoryShort) return undefined;

    const reasons: string[] = [];
    if (tooManyPods) reasons.push('Too many pods');
    if (cpuShort) reasons.push('Insufficient cpu');
    if (memoryShort) reasons.push('Insufficient memory');
    // A request larger than the whole node cannot be met by preempting anything.
    const unresolvableReason = (cpuShort && milliCPU > node.allocatable.milliCPU) || (memoryShort && memory > node.allocatable.memory);
    return unresolvableReason ? unresolvable(fitName, ...reasons) : unschedulable(fitName, ...reasons);
  },
};

/** Scores the free fraction of one resource after placing the pod: 100 for an empty node, 0 for a full one. */
function leastAllocated(requested: number, allocatable: number): number {
  if (allocatable === 0 || requested > allocatable) return 0;
  return Math.floor(((allocatable - requested) * maxNodeScore) / allocatable);
}

export const leastAllocatedScore: ScorePlugin = {
  name: fitName,
  weight: 1,
  score(pod: PodInfo, node: NodeInfo): number {
    const cpu = leastAllocated(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, node.allocatable.milliCPU);
    const memory = leastAllocated(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
    return Math.floor((cpu + memory) / 2);
  },
};

/** Returns the used fraction of a resource, capped at 1. A node without the resource counts as full. */
function usedFraction(requested: number, allocatable: number): number {
  return allocatable === 0 ? 1 : Math.min(1, requested / allocatable);
}

/**
 * Scores how evenly cpu and memory would be used after placing the pod:
 * 100 minus the standard deviation of the two used fractions, in percent.
 * For example 50% cpu and 30% memory give a deviation of 10%, so 90.
 */
export const balancedAllocationScore: ScorePlugin = {
  name: balancedName,
  weight: 1,
  score(pod: PodInfo, node: NodeInfo): number {
    const cpu = usedFraction(node.requested.milliCPU + pod.requests.milliCPU, node.allocatable.milliCPU);
    const memory = usedFraction(node.requested.memory + pod.requests.memory, node.allocatable.memory);
    const deviation = Math.abs(cpu - memory) / 2;
    return Math.floor((1 - deviation) * maxNodeScore);
  },
};
