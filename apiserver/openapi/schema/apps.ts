// Types of apps/v1, autoscaling/v1, coordination.k8s.io/v1 and policy/v1.

import { commonFields } from './meta.js';
import { definePackage, mergedBy, type TypeEntry } from './model.js';

const objectMeta = ['ObjectMeta', 'Standard object metadata: name, namespace, labels, annotations.'] as [string, string];

function topLevel(kind: string, description: string, fields: TypeEntry['fields']): TypeEntry {
  return { description, kind, fields: { ...commonFields, metadata: objectMeta, ...fields } };
}

function list(kind: string, item: string): TypeEntry {
  return {
    description: `A list of ${item} objects.`, kind, required: ['items'],
    fields: { ...commonFields, metadata: ['ListMeta', 'Standard list metadata.'], items: [`[]${item}`, `The ${item} objects.`] },
  };
}

const workloadCondition = (subject: string): TypeEntry => ({
  description: `A condition of a ${subject}.`,
  required: ['type', 'status'],
  fields: {
    type: ['string', 'Type of the condition.'],
    status: ['string', 'True, False or Unknown.'],
    lastUpdateTime: ['Time', 'When the condition was last updated.'],
    lastTransitionTime: ['Time', 'When the condition last changed status.'],
    reason: ['string', 'A CamelCase reason for the last transition.'],
    message: ['string', 'A human-readable message about the last transition.'],
  },
});

const selector: [string, string] = ['LabelSelector', 'Label query over the pods the controller manages. It must match the template\'s labels, and it cannot be changed after creation.'];
const template: [string, string] = ['PodTemplateSpec', 'Template of the pods the controller creates.'];
const minReadySeconds: [string, string] = ['integer', 'Seconds a new pod must be ready, with no container crashing, to count as available. Defaults to 0.'];

export const appsTypes = definePackage('io.k8s.api.apps.v1', 'apps', 'v1', {
  ReplicaSet: topLevel('ReplicaSet', 'A ReplicaSet keeps a stable number of replica pods that match its selector running.', {
    spec: ['ReplicaSetSpec', 'Desired behaviour of the ReplicaSet.'],
    status: ['ReplicaSetStatus', 'Most recently observed status of the ReplicaSet. Read-only.'],
  }),
  ReplicaSetList: list('ReplicaSetList', 'ReplicaSet'),
  ReplicaSetSpec: {
    description: 'The desired state of a ReplicaSet.',
    required: ['selector'],
    fields: {
      replicas: ['integer', 'Number of desired pods. Defaults to 1.'],
      minReadySeconds,
      selector,
      template,
    },
  },
  ReplicaSetStatus: {
    description: 'The observed state of a ReplicaSet.',
    required: ['replicas'],
    fields: {
      replicas: ['integer', 'Number of pods the ReplicaSet most recently observed.'],
      fullyLabeledReplicas: ['integer', 'Number of pods whose labels match the template\'s.'],
      readyReplicas: ['integer', 'Number of ready pods.'],
      availableReplicas: ['integer', 'Number of pods ready for at least minReadySeconds.'],
      observedGeneration: ['int64', 'The generation the status reflects.'],
      conditions: ['[]ReplicaSetCondition', 'Current conditions.', mergedBy('type')],
    },
  },
  ReplicaSetCondition: workloadCondition('ReplicaSet'),
  Deployment: topLevel('Deployment', 'A Deployment declares pods and rolls out changes to them through ReplicaSets.', {
    spec: ['DeploymentSpec', 'Desired behaviour of the Deployment.'],
    status: ['DeploymentStatus', 'Most recently observed status of the Deployment. Read-only.'],
  }),
  DeploymentList: list('DeploymentList', 'Deployment'),
  DeploymentSpec: {
    description: 'The desired state of a Deployment.',
    required: ['selector', 'template'],
    fields: {
      replicas: ['integer', 'Number of desired pods. Defaults to 1.'],
      selector,
      template: ['PodTemplateSpec', 'Template of the pods. Its restartPolicy may only be Always.'],
      strategy: ['DeploymentStrategy', 'How new pods replace old ones.', { patchStrategy: 'retainKeys' }],
      minReadySeconds,
      revisionHistoryLimit: ['integer', 'Number of old ReplicaSets kept for rollback. Defaults to 10.'],
      paused: ['boolean', 'Whether the rollout is paused.'],
      progressDeadlineSeconds: ['integer', 'Seconds the Deployment may make no progress before it is reported as failed. Defaults to 600.'],
    },
  },
  DeploymentStrategy: {
    description: 'How a Deployment replaces pods.',
    fields: {
      type: ['string', 'Recreate or RollingUpdate. Defaults to RollingUpdate.', { enum: ['Recreate', 'RollingUpdate'] }],
      rollingUpdate: ['RollingUpdateDeployment', 'Parameters of a rolling update; only with type RollingUpdate.'],
    },
  },
  RollingUpdateDeployment: {
    description: 'The bounds of a rolling update.',
    fields: {
      maxUnavailable: ['IntOrString', 'Pods that may be unavailable during the update, as a number or a percentage of desired pods, rounded down. Defaults to 25%. Cannot be 0 when maxSurge is 0.'],
      maxSurge: ['IntOrString', 'Pods that may be created above the desired number, as a number or a percentage, rounded up. Defaults to 25%. Cannot be 0 when maxUnavailable is 0.'],
    },
  },
  DeploymentStatus: {
    description: 'The observed state of a Deployment.',
    fields: {
      observedGeneration: ['int64', 'The generation the status reflects.'],
      replicas: ['integer', 'Number of pods of all its ReplicaSets.'],
      updatedReplicas: ['integer', 'Number of pods with the current template.'],
      readyReplicas: ['integer', 'Number of ready pods.'],
      availableReplicas: ['integer', 'Number of pods ready for at least minReadySeconds.'],
      unavailableReplicas: ['integer', 'Number of desired pods that are not available yet.'],
      conditions: ['[]DeploymentCondition', 'Current conditions, such as Available and Progressing.', mergedBy('type')],
      collisionCount: ['integer', 'Count of hash collisions of ReplicaSet names.'],
    },
  },
  DeploymentCondition: workloadCondition('Deployment'),
});

export const autoscalingTypes = definePackage('io.k8s.api.autoscaling.v1', 'autoscaling', 'v1', {
  Scale: topLevel('Scale', 'The scale subresource of a scalable resource.', {
    spec: ['ScaleSpec', 'Desired scale.'],
    status: ['ScaleStatus', 'Observed scale. Read-only.'],
  }),
  ScaleSpec: { description: 'The desired scale.', fields: { replicas: ['integer', 'Desired number of replicas.'] } },
  ScaleStatus: {
    description: 'The observed scale.',
    required: ['replicas'],
    fields: {
      replicas: ['integer', 'Observed number of replicas.'],
      selector: ['string', 'Label query over the pods counted, in string form.'],
    },
  },
});

export const coordinationTypes = definePackage('io.k8s.api.coordination.v1', 'coordination.k8s.io', 'v1', {
  Lease: topLevel('Lease', 'A Lease is a lock with a holder and a duration, used for node heartbeats and leader election.', {
    spec: ['LeaseSpec', 'Desired state of the Lease.'],
  }),
  LeaseList: list('LeaseList', 'Lease'),
  LeaseSpec: {
    description: 'The state of a Lease.',
    fields: {
      holderIdentity: ['string', 'Identity of the current holder.'],
      leaseDurationSeconds: ['integer', 'Seconds candidates wait after the last renewal before taking the lease over.'],
      acquireTime: ['MicroTime', 'When the current holder acquired the lease.'],
      renewTime: ['MicroTime', 'When the current holder last renewed the lease.'],
      leaseTransitions: ['integer', 'How many times the lease changed holders.'],
      strategy: ['string', 'The strategy for picking the leader in coordinated leader election.'],
      preferredHolder: ['string', 'A holder the lease should pass to.'],
    },
  },
});

export const policyTypes = definePackage('io.k8s.api.policy.v1', 'policy', 'v1', {
  Eviction: topLevel('Eviction', 'Evicts a pod, subject to disruption budgets; it is created through the pod\'s eviction subresource.', {
    deleteOptions: ['DeleteOptions', 'Options of the deletion.'],
  }),
});
