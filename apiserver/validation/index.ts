// Validation of objects on create and update, with the causes kube-apiserver
// returns in a 422 Invalid Status.

import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, StatusCause } from '../../api/types.js';
import { validateDeploymentSpec, validateReplicaSetSpec, validateSelectorUpdate } from './apps.js';
import { isObject } from './causes.js';
import { validateEvent, validateLeaseSpec, validateNamespaceSpec, validateNodeSpec } from './cluster.js';
import { validateObjectMeta, validateObjectMetaUpdate, type NameRule } from './meta.js';
import { checkDns1123Label, checkDns1123Subdomain } from './names.js';
import { validatePodSpec, validatePodSpecUpdate } from './pod.js';
import { findTypeErrors } from './types.js';

export { findTypeErrors } from './types.js';
export { findUnknownFields } from './unknown-fields.js';

function nameRuleOf(type: ResourceType): NameRule {
  return type.kind === 'Namespace' ? checkDns1123Label : checkDns1123Subdomain;
}

function validateSpec(type: ResourceType, object: KubeObject): StatusCause[] {
  const fields = object as unknown as Record<string, unknown>;
  switch (`${type.group}/${type.kind}`) {
    case '/Pod': return validatePodSpec(fields.spec, 'spec');
    case '/Namespace': return validateNamespaceSpec(fields.spec);
    case '/Node': return validateNodeSpec(fields.spec);
    case '/Event': return validateEvent(fields, object.metadata?.namespace);
    case 'apps/ReplicaSet': return validateReplicaSetSpec(fields.spec);
    case 'apps/Deployment': return validateDeploymentSpec(fields.spec);
    case 'coordination.k8s.io/Lease': return validateLeaseSpec(fields.spec);
    default: return [];
  }
}

function validateUpdate(type: ResourceType, object: KubeObject, old: KubeObject): StatusCause[] {
  const causes = validateObjectMetaUpdate(object, old);
  const spec = (object as unknown as Record<string, unknown>).spec;
  const oldSpec = (old as unknown as Record<string, unknown>).spec;
  switch (`${type.group}/${type.kind}`) {
    case '/Pod': return [...causes, ...validatePodSpecUpdate(spec, oldSpec)];
    case 'apps/ReplicaSet':
    case 'apps/Deployment': return [...causes, ...validateSelectorUpdate(spec, oldSpec)];
    default: return causes;
  }
}

/** Validates an object on create (old undefined) or update; returns the causes of a 422 Invalid. */
export function validateObject(type: ResourceType, object: KubeObject, old?: KubeObject): StatusCause[] {
  if (!isObject(object)) return [{ reason: 'FieldValueInvalid', field: '', message: 'Invalid value: the object must be a JSON object' }];
  // Later checks assume declared types, so a body with type errors reports only those.
  const typeErrors = findTypeErrors(type, object);
  if (typeErrors.length > 0) return typeErrors;
  const causes = validateObjectMeta(object, type.namespaced, nameRuleOf(type));
  // A status update carries the stored spec over by reference, and that spec
  // passed validation when it was written, so it is not validated again.
  const spec = (object as unknown as Record<string, unknown>).spec;
  const specCarriedOver = old !== undefined && spec !== undefined && spec === (old as unknown as Record<string, unknown>).spec;
  if (!specCarriedOver) causes.push(...validateSpec(type, object));
  if (old) causes.push(...validateUpdate(type, object, old));
  return causes;
}
