// The subresources that are not plain status writes: pods/binding,
// pods/eviction, the autoscaling/v1 scale of replicasets and deployments,
// and namespaces/finalize.

import { formatLabelSelector } from '../../api/labels.js';
import type { ResourceType } from '../../api/resources.js';
import type { Binding, Deployment, Eviction, KubeObject, Namespace, Pod, PodCondition, ReplicaSet, Scale, Status } from '../../api/types.js';
import { badRequest, conflict, invalid } from '../errors.js';
import type { StoredValue } from '../storage/interface.js';
import { deleteObject, type DeleteRequest } from './delete.js';
import { objectKey } from './keys.js';
import { checkPathSegmentName, timestamp } from './metadata.js';
import { target, type Registry } from './store.js';

type Scalable = Deployment | ReplicaSet;

function success(code: number): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

/** Binds a pod to a node, as the scheduler does: 409 when the pod is already bound or being deleted. */
export async function bindPod(registry: Registry, pods: ResourceType, namespace: string | undefined, name: string, body: unknown): Promise<Status> {
  const binding = body as Binding;
  const nodeName = binding?.target?.name;
  if (typeof nodeName !== 'string' || nodeName === '') throw badRequest('Binding.target.name: Required value: a node name is required');
  checkPathSegmentName(pods, nodeName, 'target.name');
  if (binding.metadata?.name && binding.metadata.name !== name) {
    throw badRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${name})`);
  }
  await registry.write(pods, objectKey(pods, namespace, name), name, (current) => {
    // Storage hands each update a freshly parsed object, so it is changed in place.
    const pod = current as Pod;
    if (pod.metadata.deletionTimestamp) throw conflict({ resource: 'pods/binding', name }, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (pod.spec.nodeName) throw conflict({ resource: 'pods/binding', name }, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = nodeName;
    const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp() };
    pod.status = { ...pod.status, conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled] };
    return pod;
  }, false);
  return success(201);
}

/** Evicts a pod by deleting it with the eviction's delete options. */
export async function evictPod(registry: Registry, pods: ResourceType, namespace: string | undefined, name: string,
  body: unknown, dryRun: boolean): Promise<Status> {
  const eviction = (body ?? {}) as Eviction;
  if (eviction.metadata?.name && eviction.metadata.name !== name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  // NOTE: no PodDisruptionBudget is served, so an eviction is never refused for disruption limits.
  const options = eviction.deleteOptions ?? {};
  const request: DeleteRequest = {
    gracePeriodSeconds: options.gracePeriodSeconds,
    propagationPolicy: options.propagationPolicy,
    preconditions: options.preconditions,
    dryRun: dryRun || (options.dryRun ?? []).includes('All'),
  };
  await deleteObject(registry, pods, namespace, name, request);
  return success(201);
}

/** Builds the autoscaling/v1 Scale of a replicaset or deployment. */
export function scaleOf(object: Scalable): Scale {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name, namespace: object.metadata.namespace, uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion, creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: object.spec.replicas ?? 1 },
    status: { replicas: object.status?.replicas ?? 0, selector: formatLabelSelector(object.spec.selector) },
  };
}

export async function getScale(registry: Registry, type: ResourceType, namespace: string | undefined, name: string): Promise<Scale> {
  const stored = await registry.get(type, namespace, name);
  return scaleOf(JSON.parse(stored.json) as Scalable);
}

/**
 * Writes spec.replicas from a Scale. toScale maps the current Scale to the
 * requested one, so PUT and PATCH share the resourceVersion check.
 */
export async function updateScale(registry: Registry, type: ResourceType, namespace: string | undefined, name: string,
  toScale: (current: Scale) => Scale, options: { dryRun: boolean; fieldManager: string }): Promise<Scale> {
  const stored: StoredValue = await registry.write(type, objectKey(type, namespace, name), name, (current) => {
    const object = structuredClone(current) as Scalable;
    const requested = toScale(scaleOf(object));
    const version = requested.metadata?.resourceVersion;
    if (version && version !== object.metadata.resourceVersion) {
      throw conflict(target(type, name), 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const replicas = requested.spec?.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
      throw invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    object.spec.replicas = replicas ?? 0;
    return registry.prepareUpdate(type, object, current, options.fieldManager, 'scale');
  }, options.dryRun);
  return scaleOf(JSON.parse(stored.json) as Scalable);
}

/** Replaces spec.finalizers of a namespace; the namespace goes away once no finalizer is left. */
export async function finalizeNamespace(registry: Registry, namespaces: ResourceType, name: string, body: unknown,
  dryRun: boolean): Promise<StoredValue> {
  const requested = body as Namespace;
  if (requested?.metadata?.name && requested.metadata.name !== name) {
    throw badRequest(`the name of the object (${requested.metadata.name}) does not match the name on the URL (${name})`);
  }
  const finalizers = requested?.spec?.finalizers ?? [];
  if (!Array.isArray(finalizers) || finalizers.some((finalizer) => typeof finalizer !== 'string')) {
    throw badRequest('spec.finalizers must be a list of strings');
  }
  return registry.write(namespaces, objectKey(namespaces, undefined, name), name, (current) => {
    const namespace = structuredClone(current) as Namespace;
    namespace.spec = { ...namespace.spec, finalizers };
    return namespace as KubeObject;
  }, dryRun);
}
