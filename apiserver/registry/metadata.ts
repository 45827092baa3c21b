// System-owned metadata: uid, timestamps, generated names, and the path
// safety check that every name passes before it becomes part of a key.

import { randomInt, randomUUID } from 'node:crypto';
import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, StatusCause } from '../../api/types.js';
import { invalid } from '../errors.js';

let cachedSecond = -1;
let cachedTimestamp = '';

/** RFC 3339 with whole seconds, as metav1.Time serializes; the string is reused within one second. */
export function timestamp(date = new Date()): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTimestamp = date.toISOString().replace(/\.\d+Z$/, 'Z');
  }
  return cachedTimestamp;
}

// The alphabet of kube-apiserver's generated name suffixes: no vowels, so
// no words, and no digits that look like letters.
const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += suffixAlphabet[randomInt(suffixAlphabet.length)];
  return prefix + suffix;
}

/** Sets the metadata a create owns, discarding what the client sent for it. */
export function initializeMetadata(object: KubeObject, tracksGeneration: boolean): void {
  const metadata = object.metadata;
  metadata.uid = randomUUID();
  metadata.creationTimestamp = timestamp();
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  if (tracksGeneration) metadata.generation = 1;
  else delete metadata.generation;
}

/** The metadata an update may not change, in the order they are added to an object that lacks them. */
const systemMetadataFields = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** Copies the metadata an update may not change from the stored object. */
export function keepSystemMetadata(object: KubeObject, old: KubeObject): void {
  const metadata = object.metadata as Record<string, unknown>;
  const stored = old.metadata as Record<string, unknown>;
  for (const field of systemMetadataFields) {
    const value = stored[field];
    // A field is written only when it differs, because adding a field and deleting it again turns
    // the object into a slow dictionary, which every later read and the serialization pay for.
    if (value !== undefined) {
      if (metadata[field] !== value) metadata[field] = value;
    } else if (field in metadata) {
      delete metadata[field];
    }
  }
  if (old.metadata.namespace !== undefined) metadata.namespace = old.metadata.namespace;
}

/**
 * Returns why name cannot be used as one segment of a URL path or storage
 * key, as kube-apiserver's path segment validation does, or undefined.
 */
export function pathSegmentProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be '${name}'`;
  for (const bad of ['/', '%', '\0', '\\']) {
    if (name.includes(bad)) return `may not contain '${bad === '\0' ? '\\x00' : bad}'`;
  }
  return undefined;
}

/** Throws 422 Invalid when name could escape its path segment. */
export function checkPathSegmentName(type: ResourceType, name: string, field = 'metadata.name'): void {
  const problem = pathSegmentProblem(name);
  if (!problem) return;
  const cause: StatusCause = { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(name)}: ${problem}` };
  throw invalid(type.kind, type.group || undefined, name, [cause]);
}
