// Builders of cached objects for the table-driven tests of pure controller logic.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { Deployment, Pod, ReplicaSet, RollingUpdateDeployment } from '../../api/types.js';

export interface ReplicaSetFields {
  name: string;
  replicas: number;
  /** status.replicas; defaults to replicas. */
  actual?: number;
  available?: number;
  created?: string;
  annotations?: Record<string, string>;
}

export function rs(fields: ReplicaSetFields): ReadonlyDeep<ReplicaSet> {
  return {
    metadata: { name: fields.name, creationTimestamp: fields.created ?? '2026-01-01T00:00:00Z', annotations: fields.annotations },
    spec: { replicas: fields.replicas, selector: {}, template: { spec: { containers: [] } } },
    status: { replicas: fields.actual ?? fields.replicas, availableReplicas: fields.available ?? fields.replicas },
  };
}

export function deployment(replicas: number, rollingUpdate?: RollingUpdateDeployment, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): ReadonlyDeep<Deployment> {
  return {
    metadata: { name: 'web', generation: 1 },
    spec: { replicas, selector: {}, template: { spec: { containers: [] } }, strategy: { type, rollingUpdate } },
  };
}

export interface PodFields {
  name: string;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown';
  readySince?: string;
  created?: string;
  restarts?: number;
  cost?: number;
}

export function pod(fields: PodFields): ReadonlyDeep<Pod> {
  return {
    metadata: {
      name: fields.name,
      namespace: 'default',
      creationTimestamp: fields.created ?? '2026-01-01T00:00:00Z',
      annotations: fields.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': String(fields.cost) } : undefined,
    },
    spec: { nodeName: fields.node, containers: [{ name: 'app' }] },
    status: {
      phase: fields.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: fields.readySince ? 'True' : 'False', lastTransitionTime: fields.readySince }],
      containerStatuses: [{ name: 'app', ready: !!fields.readySince, restartCount: fields.restarts ?? 0, image: '', imageID: '' }],
    },
  };
}
