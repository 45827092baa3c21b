// The Unschedulable message of a pod that fits no node, worded as
// kube-scheduler 1.32 words it in the PodScheduled condition and the
// FailedScheduling event:
//
//   0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory.
//   preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
//
// (one line in practice). Each part counts the nodes per reason, sorted as strings.

import type { FilterStatus } from './framework.js';
import type { PodInfo } from './podinfo.js';

export const noNodesAvailableMessage = 'no nodes available to schedule pods';

/** Counts reasons over nodes and formats them as `0/N nodes are available: 1 reason, 2 other reason.` */
function formatHistogram(numAllNodes: number, reasonsPerNode: Iterable<readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const reasons of reasonsPerNode) {
    for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  // Go's sort.Strings compares UTF-8 bytes; for these ASCII strings that is the default JavaScript order.
  const entries = [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
  const head = `0/${numAllNodes} nodes are available:`;
  return entries.length > 0 ? `${head} ${entries.join(', ')}.` : head;
}

/**
 * Explains what preemption would do for the pod. NOTE: tinykube does not
 * preempt, so every node where preemption might help reports the text
 * kube-scheduler gives when no pod there has a lower priority, which holds
 * while all pods have the default priority 0.
 */
function preemptionMessage(pod: PodInfo, numAllNodes: number, statuses: readonly FilterStatus[]): string {
  if (pod.pod.spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const perNode = statuses.map((status) => [status.code === 'UnschedulableAndUnresolvable'
    ? 'Preemption is not helpful for scheduling'
    : 'No preemption victims found for incoming pod']);
  return formatHistogram(numAllNodes, perNode);
}

/**
 * Formats the message for a pod that passed the filters on no node.
 * statuses holds the first failing filter's status of every node.
 */
export function fitErrorMessage(pod: PodInfo, numAllNodes: number, statuses: readonly FilterStatus[]): string {
  if (numAllNodes === 0) return noNodesAvailableMessage;
  const filters = formatHistogram(numAllNodes, statuses.map((status) => status.reasons));
  return `${filters} preemption: ${preemptionMessage(pod, numAllNodes, statuses)}`;
}
