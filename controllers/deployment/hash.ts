// The pod-template-hash: a short, stable name suffix and label value for the
// ReplicaSet of one pod template. As upstream, it is the 32-bit FNV-1a hash
// of the template (plus the collision count, when set) written as a decimal
// number and then re-encoded with SafeEncodeString's alphabet, which has no
// vowels so a hash never spells a word. The template is serialized as JSON
// with sorted keys where upstream hashes Go's printed struct, so the values
// differ from a real cluster's but are stable across restarts.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { PodTemplateSpec } from '../../api/types.js';

export const podTemplateHashLabel = 'pod-template-hash';

/** The alphabet of upstream's SafeEncodeString and of generateName suffixes. */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Returns the 32-bit FNV-1a hash of bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Maps every character of text to one of safeAlphabet, by its code modulo the alphabet's length. */
export function safeEncodeString(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) encoded += safeAlphabet[byte % safeAlphabet.length];
  return encoded;
}

/**
 * Serializes value as JSON with sorted keys, leaving out undefined, null,
 * empty objects and empty arrays, which Kubernetes treats as equal to
 * absent: `kubectl rollout undo` sends `creationTimestamp: null` and
 * `resources: {}` in the template it copies back.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value)) ?? 'null';
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((item) => normalize(item) ?? null);
  if (value === null) return undefined;
  if (typeof value !== 'object') return value;
  const entries = Object.keys(value).sort()
    .map((key) => [key, normalize((value as Record<string, unknown>)[key])] as const)
    .filter(([, item]) => item !== undefined);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * Computes the pod-template-hash of template. A collision count is written
 * after the template as 8 bytes, its little-endian uint32 then four zeros,
 * as upstream does, so each collision gives a new name.
 */
export function computePodTemplateHash(template: ReadonlyDeep<PodTemplateSpec>, collisionCount?: number): string {
  let hash = fnv32a(Buffer.from(canonicalJson(template), 'utf8'));
  if (collisionCount !== undefined) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(collisionCount >>> 0, 0);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}

/** Returns whether two templates are equal once their pod-template-hash labels are ignored. */
export function templatesEqualIgnoringHash(a: ReadonlyDeep<PodTemplateSpec>, b: ReadonlyDeep<PodTemplateSpec>): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

function withoutHash(template: ReadonlyDeep<PodTemplateSpec>): unknown {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[podTemplateHashLabel];
  return { ...template, metadata: { ...(template.metadata ?? {}), labels } };
}
