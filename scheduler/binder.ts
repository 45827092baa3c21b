// The scheduler's writes to the API: the pods/binding subresource that sets
// spec.nodeName, and the PodScheduled condition of a pod that could not be
// placed.

import type { ApiClient } from '../api/client.js';
import type { ReadonlyDeep } from '../api/informer.js';
import { pods, resourcePath } from '../api/resources.js';
import type { Binding, Pod, PodCondition } from '../api/types.js';

/** Binds a pod to a node. The apiserver returns 409 Conflict if the pod is already bound. */
export async function bindPod(client: ApiClient, pod: ReadonlyDeep<Pod>, nodeName: string): Promise<void> {
  const { namespace, name } = pod.metadata;
  const binding: Binding = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, namespace, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
    target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
  };
  await client.send('POST', resourcePath(pods, namespace, name ?? '', 'binding'), binding);
}

export type UnscheduledReason = 'Unschedulable' | 'SchedulerError';

/**
 * Sets PodScheduled=False with the reason and message on the pod's status.
 * Returns false without writing when the condition already has this reason and message,
 * so that retries of a pod that still fits nowhere do not rewrite it.
 */
export async function updatePodScheduledCondition(client: ApiClient, pod: ReadonlyDeep<Pod>, reason: UnscheduledReason,
  message: string, now: Date = new Date()): Promise<boolean> {
  const conditions = pod.status?.conditions ?? [];
  const current = conditions.find((condition) => condition.type === 'PodScheduled');
  if (current && current.status === 'False' && current.reason === reason && current.message === message) return false;

  const condition: PodCondition = {
    type: 'PodScheduled',
    status: 'False',
    lastProbeTime: null,
    lastTransitionTime: current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    reason,
    message,
  };
  // A strategic merge patch merges conditions by type, so the pod's other conditions stay as they are.
  await client.patch(pods, pod.metadata.namespace, pod.metadata.name ?? '', { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
  return true;
}
