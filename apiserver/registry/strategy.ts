// Per-kind rules of the generic registry, after kube-apiserver's REST
// strategies: what a create resets, what an update of the main resource
// keeps from the old object, whether generation is tracked, and when an
// update completes a pending deletion.

import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, Namespace, Pod } from '../../api/types.js';

type Mutable = KubeObject & { spec?: unknown; status?: unknown };

const namespaceFinalizer = 'kubernetes';

/** True when the kind has a status subresource, so its main resource ignores status writes. */
export function hasStatusSubresource(type: ResourceType): boolean {
  return type.subresources.includes('status');
}

/** Kinds whose metadata.generation counts spec changes. */
export function tracksGeneration(type: ResourceType): boolean {
  return type.kind === 'Pod' || type.kind === 'ReplicaSet' || type.kind === 'Deployment';
}

/** Events and leases may be created by PUT, as their kube-apiserver strategies allow. */
export function allowsCreateOnUpdate(type: ResourceType): boolean {
  return type.kind === 'Event' || type.kind === 'Lease';
}

/** Resets what a client may not set on create. */
export function prepareForCreate(type: ResourceType, object: Mutable): void {
  switch (type.kind) {
    case 'Pod': {
      const pod = object as Pod;
      pod.status = { phase: 'Pending' };
      break;
    }
    case 'ReplicaSet':
    case 'Deployment':
      object.status = {};
      break;
    case 'Namespace': {
      const namespace = object as Namespace;
      namespace.status = { phase: 'Active' };
      const finalizers = namespace.spec?.finalizers ?? [];
      namespace.spec = { ...namespace.spec, finalizers: finalizers.includes(namespaceFinalizer) ? finalizers : [...finalizers, namespaceFinalizer] };
      break;
    }
  }
}

/** Keeps what an update of the main resource may not change. */
export function prepareForUpdate(type: ResourceType, object: Mutable, old: Mutable): void {
  if (hasStatusSubresource(type)) {
    if (old.status === undefined) delete object.status;
    else object.status = old.status;
  }
  if (type.kind === 'Namespace') {
    // spec.finalizers changes only through the finalize subresource.
    const namespace = object as Namespace;
    namespace.spec = { ...namespace.spec, finalizers: (old as Namespace).spec?.finalizers ?? [] };
  }
}

/** Builds the object a status write stores: the old object with the new status. */
export function prepareForStatusUpdate(object: Mutable, old: Mutable): Mutable {
  const updated: Mutable = { ...old, metadata: { ...old.metadata } };
  if (object.status === undefined) delete updated.status;
  else updated.status = object.status;
  return updated;
}

/**
 * True when an update leaves a deleting object with nothing to wait for, so
 * the registry removes it. A pod also waits for its kubelet, which confirms
 * with a zero grace period.
 */
export function shouldDeleteAfterUpdate(type: ResourceType, object: KubeObject): boolean {
  if (!object.metadata.deletionTimestamp || (object.metadata.finalizers ?? []).length > 0) return false;
  if (type.kind === 'Namespace') return ((object as Namespace).spec?.finalizers ?? []).length === 0;
  if (type.kind === 'Pod') return (object.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  return true;
}
