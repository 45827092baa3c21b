// Validation of compute resource requirements: resource names, quantity
// syntax, non-negative amounts, and requests that do not exceed limits.

import { isValidQuantity, parseQuantity, QuantityError } from '../../api/quantity.js';
import type { StatusCause } from '../../api/types.js';
import { child, index, invalid, isObject } from './causes.js';
import { checkQualifiedName } from './names.js';

const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);

function validateResourceName(name: string, path: string): StatusCause[] {
  if (standardResources.has(name) || name.startsWith('hugepages-')) return [];
  const causes = checkQualifiedName(name).map((problem) => invalid(path, name, problem));
  if (causes.length === 0 && !name.includes('/')) {
    causes.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  return causes;
}

function validateResourceList(list: unknown, path: string): StatusCause[] {
  if (list === undefined || list === null) return [];
  if (!isObject(list)) return [invalid(path, list, 'must be a map of resource names to quantities')];
  const causes: StatusCause[] = [];
  for (const [name, quantity] of Object.entries(list)) {
    const at = index(path, name);
    causes.push(...validateResourceName(name, at));
    if (!isValidQuantity(quantity)) {
      causes.push(invalid(at, quantity, new QuantityError(String(quantity)).message));
      continue;
    }
    if (parseQuantity(quantity as string | number) < 0) causes.push(invalid(at, quantity, 'must be greater than or equal to 0'));
    else if (name === 'cpu' && parseQuantity(quantity as string | number) > 0 && parseQuantity(quantity as string | number) < 0.001) {
      causes.push(invalid(at, quantity, 'must be greater than or equal to 1m'));
    }
  }
  return causes;
}

/** Validates a container's (or a pod's) resources at path, such as spec.containers[0].resources. */
export function validateResourceRequirements(resources: unknown, path: string): StatusCause[] {
  if (resources === undefined || resources === null) return [];
  if (!isObject(resources)) return [invalid(path, resources, 'must be an object')];
  const causes = [
    ...validateResourceList(resources.limits, child(path, 'limits')),
    ...validateResourceList(resources.requests, child(path, 'requests')),
  ];
  if (causes.length > 0 || !isObject(resources.limits) || !isObject(resources.requests)) return causes;

  for (const [name, request] of Object.entries(resources.requests)) {
    const limit = resources.limits[name];
    if (limit === undefined) continue;
    if (parseQuantity(request as string | number) > parseQuantity(limit as string | number)) {
      causes.push(invalid(index(child(path, 'requests'), name), request, `must be less than or equal to ${name} limit of ${String(limit)}`));
    }
  }
  return causes;
}
