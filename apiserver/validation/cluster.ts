// Validation of the cluster's bookkeeping kinds: Namespaces, Nodes, Events and Leases.

import type { StatusCause } from '../../api/types.js';
import { child, index, invalid, isInteger, isObject, notSupported, required } from './causes.js';
import { checkQualifiedName } from './names.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateNamespaceSpec(spec: unknown): StatusCause[] {
  if (!isObject(spec) || !Array.isArray(spec.finalizers)) return [];
  const causes: StatusCause[] = [];
  spec.finalizers.forEach((finalizer: unknown, position) => {
    const at = index('spec.finalizers', position);
    if (typeof finalizer !== 'string') causes.push(invalid(at, finalizer, 'must be a string'));
    else for (const problem of checkQualifiedName(finalizer)) causes.push(invalid(at, finalizer, problem));
  });
  return causes;
}

export function validateNodeSpec(spec: unknown): StatusCause[] {
  if (!isObject(spec) || !Array.isArray(spec.taints)) return [];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  spec.taints.forEach((taint: unknown, position) => {
    const at = index('spec.taints', position);
    if (!isObject(taint)) return;
    if (typeof taint.key !== 'string' || taint.key === '') causes.push(required(child(at, 'key')));
    else for (const problem of checkQualifiedName(taint.key)) causes.push(invalid(child(at, 'key'), taint.key, problem));
    if (taint.effect === undefined || taint.effect === '') causes.push(required(child(at, 'effect')));
    else if (!taintEffects.includes(String(taint.effect))) causes.push(notSupported(child(at, 'effect'), taint.effect, taintEffects));
    const identity = `${String(taint.key)}:${String(taint.effect)}`;
    if (seen.has(identity)) causes.push(invalid(at, identity, 'taints must be unique by key and effect pair'));
    seen.add(identity);
  });
  return causes;
}

export function validateEvent(event: Record<string, unknown>, namespace: string | undefined): StatusCause[] {
  const involved = event.involvedObject;
  if (!isObject(involved)) return [required('involvedObject')];
  const causes: StatusCause[] = [];
  if (typeof involved.namespace === 'string' && involved.namespace !== '' && involved.namespace !== namespace) {
    causes.push(invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
  }
  if (event.type !== undefined && event.type !== '' && !['Normal', 'Warning'].includes(String(event.type))) {
    causes.push(notSupported('type', event.type, ['Normal', 'Warning']));
  }
  if (event.count !== undefined && (!isInteger(event.count) || event.count < 0)) {
    causes.push(invalid('count', event.count, 'must be greater than or equal to 0'));
  }
  return causes;
}

export function validateLeaseSpec(spec: unknown): StatusCause[] {
  if (!isObject(spec)) return [];
  const causes: StatusCause[] = [];
  if (spec.leaseDurationSeconds !== undefined && (!isInteger(spec.leaseDurationSeconds) || spec.leaseDurationSeconds <= 0)) {
    causes.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (spec.leaseTransitions !== undefined && (!isInteger(spec.leaseTransitions) || spec.leaseTransitions < 0)) {
    causes.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  return causes;
}
