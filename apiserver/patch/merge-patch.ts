// JSON Merge Patch (RFC 7386): objects merge recursively, null deletes, and
// any other value, lists included, replaces. kubectl sends it for label,
// annotate and scale.

import { isJsonObject, type JsonValue } from './json.js';

/**
 * Returns target with patch merged in, changing neither. The result shares
 * the values it takes from patch, which is parsed for this one use.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
