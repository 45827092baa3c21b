// fieldValidation for unknown fields, as kube-apiserver's decoder applies it:
// Strict rejects the request, Warn adds one warning per field to the response, and
// Ignore drops the fields silently. Warn and Ignore both drop the fields,
// because a typed Kubernetes object has nowhere to keep them.

import type { ResourceType } from '../../api/resources.js';
import { badRequest } from '../errors.js';
import { findUnknownFields } from '../validation/index.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Parses the fieldValidation query parameter; kube-apiserver defaults to Warn when it is absent. */
export function parseFieldValidation(value: string | undefined): FieldValidation {
  if (value === undefined || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation parameter unsupported: ${value}`);
}

/** Splits `spec.containers[0].foo` into ['spec', 'containers', 0, 'foo']. */
function parseFieldPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1]) segments.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

function removeField(object: unknown, path: string): void {
  const segments = parseFieldPath(path);
  let node: unknown = object;
  for (const segment of segments.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, unknown>)[segment];
  }
  const last = segments[segments.length - 1];
  if (node !== null && typeof node === 'object' && last !== undefined) delete (node as Record<string | number, unknown>)[last];
}

/** Applies fieldValidation to a decoded object: throws for Strict, adds warnings for Warn, drops the fields. */
export function handleUnknownFields(type: ResourceType, object: unknown, mode: FieldValidation, warnings: string[]): void {
  const unknown = findUnknownFields(type, object);
  if (unknown.length === 0) return;
  if (mode === 'Strict') {
    throw badRequest(`strict decoding error: ${unknown.map((field) => `unknown field ${JSON.stringify(field)}`).join(', ')}`);
  }
  if (mode === 'Warn') for (const field of unknown) warnings.push(`unknown field ${JSON.stringify(field)}`);
  for (const field of unknown) removeField(object, field);
}
