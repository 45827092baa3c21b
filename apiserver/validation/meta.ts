// Validation of ObjectMeta on create and update, as kube-apiserver's
// ValidateObjectMeta and ValidateObjectMetaUpdate do it.

import type { KubeObject, LabelSelector, StatusCause } from '../../api/types.js';
import { child, duplicate, forbidden, index, invalid, isObject, required, tooLong } from './causes.js';
import { checkDns1123Label, checkQualifiedName, checkLabelValue } from './names.js';

/** The total size, in bytes, that the keys and values of an object's annotations may have. */
export const maxAnnotationsSize = 256 * 1024;

export type NameRule = (name: string) => string[];

/** Finalizers that Kubernetes itself defines; any other finalizer needs a domain prefix, as example.com/cleanup. */
const standardFinalizers = ['kubernetes', 'orphan', 'foregroundDeletion'];

export function validateLabels(labels: unknown, path: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isObject(labels)) return [invalid(path, labels, 'must be a map of string keys to string values')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const problem of checkQualifiedName(key)) causes.push(invalid(path, key, problem));
    if (typeof value !== 'string') causes.push(invalid(path, value, 'label values must be strings'));
    else for (const problem of checkLabelValue(value)) causes.push(invalid(path, value, problem));
  }
  return causes;
}

export function validateAnnotations(annotations: unknown, path: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isObject(annotations)) return [invalid(path, annotations, 'must be a map of string keys to string values')];
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const problem of checkQualifiedName(key.toLowerCase())) causes.push(invalid(path, key, problem));
    size += Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value) ?? '');
  }
  if (size > maxAnnotationsSize) causes.push(tooLong(path, maxAnnotationsSize));
  return causes;
}

function validateOwnerReferences(references: unknown, path: string): StatusCause[] {
  if (references === undefined || references === null) return [];
  if (!Array.isArray(references)) return [invalid(path, references, 'must be a list')];
  const causes: StatusCause[] = [];
  let controllers = 0;
  // kube-apiserver reports these without the item index, as metadata.ownerReferences.uid.
  const emptyMessages: Record<string, string> = { apiVersion: 'version must not be empty', kind: 'kind must not be empty', name: 'name must not be empty', uid: 'uid must not be empty' };
  references.forEach((reference: unknown, position) => {
    if (!isObject(reference)) {
      causes.push(invalid(index(path, position), reference, 'must be an object'));
      return;
    }
    for (const [field, message] of Object.entries(emptyMessages)) {
      if (typeof reference[field] !== 'string' || reference[field] === '') causes.push(invalid(child(path, field), reference[field] ?? '', message));
    }
    if (reference.controller === true) controllers++;
  });
  if (controllers > 1) causes.push(invalid(path, references, 'Only one reference can have Controller set to true'));
  return causes;
}

function validateFinalizers(finalizers: unknown, path: string): StatusCause[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [invalid(path, finalizers, 'must be a list of strings')];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  finalizers.forEach((finalizer: unknown, position) => {
    if (typeof finalizer !== 'string') {
      causes.push(invalid(index(path, position), finalizer, 'must be a string'));
      return;
    }
    const problems = checkQualifiedName(finalizer);
    for (const problem of problems) causes.push(invalid(path, finalizer, problem));
    if (problems.length === 0 && !finalizer.includes('/') && !standardFinalizers.includes(finalizer)) {
      causes.push(invalid(path, finalizer, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
    if (seen.has(finalizer)) causes.push(duplicate(index(path, position), finalizer));
    seen.add(finalizer);
  });
  return causes;
}

/** Validates an object's metadata on create and update; nameRule checks the kind's name format. */
export function validateObjectMeta(object: KubeObject, namespaced: boolean, nameRule: NameRule): StatusCause[] {
  const meta: unknown = object.metadata;
  if (!isObject(meta)) return [required('metadata')];
  const causes: StatusCause[] = [];

  if (typeof meta.name !== 'string' || meta.name === '') {
    if (typeof meta.generateName !== 'string' || meta.generateName === '') causes.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const problem of nameRule(meta.name)) causes.push(invalid('metadata.name', meta.name, problem));
  }

  if (namespaced) {
    if (typeof meta.namespace !== 'string' || meta.namespace === '') causes.push(required('metadata.namespace'));
    else for (const problem of checkDns1123Label(meta.namespace)) causes.push(invalid('metadata.namespace', meta.namespace, problem));
  } else if (typeof meta.namespace === 'string' && meta.namespace !== '') {
    causes.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }

  if (meta.generation !== undefined && (typeof meta.generation !== 'number' || meta.generation < 0)) {
    causes.push(invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  }
  causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return causes;
}

/** Rejects changes to the metadata fields that never change after create. */
export function validateObjectMetaUpdate(object: KubeObject, old: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const now = object.metadata?.[field];
    const before = old.metadata?.[field];
    // An update may leave these unset; the server then carries the old values over.
    if (now !== undefined && now !== '' && before !== undefined && now !== before) {
      causes.push(invalid(`metadata.${field}`, now, 'field is immutable'));
    }
  }
  return causes;
}

/** Validates a LabelSelector's structure: operators, values and label syntax. */
export function validateLabelSelector(selector: LabelSelector, path: string): StatusCause[] {
  const causes = validateLabels(selector.matchLabels, child(path, 'matchLabels'));
  const expressions: unknown = selector.matchExpressions;
  if (expressions === undefined || expressions === null) return causes;
  if (!Array.isArray(expressions)) return [...causes, invalid(child(path, 'matchExpressions'), expressions, 'must be a list')];
  expressions.forEach((expression: unknown, position) => {
    const at = index(child(path, 'matchExpressions'), position);
    if (!isObject(expression)) return;
    const values = Array.isArray(expression.values) ? expression.values : [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) causes.push(required(child(at, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) causes.push(forbidden(child(at, 'values'), 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
        break;
      default:
        causes.push(invalid(child(at, 'operator'), expression.operator ?? '', 'not a valid selector operator'));
    }
    if (typeof expression.key !== 'string') causes.push(required(child(at, 'key')));
    else for (const problem of checkQualifiedName(expression.key)) causes.push(invalid(child(at, 'key'), expression.key, problem));
  });
  return causes;
}

