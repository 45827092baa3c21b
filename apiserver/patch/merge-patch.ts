// JSON Merge Patch (RFC 7386): objects merge recursively, null deletes, and
// any other value, lists included, replaces. kubectl sends it for label,
// annotate and scale.

import { clone, isJsonObject, type JsonValue } from './json.js';

export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return clone(patch);
  const result = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
