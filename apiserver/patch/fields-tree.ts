// In-place edits of FieldsV1 trees, so that an update touches only the paths
// it changed instead of converting every manager's set back and forth.
// In a tree, an empty object is a member leaf, and "." marks a member that
// also has children.

import type { FieldPath } from './fieldset.js';
import { isJsonObject, type JsonObject } from './json.js';

/** Removes path from the set that tree encodes; ancestors left empty, which were not members, go too. */
export function removePath(tree: JsonObject, path: FieldPath): void {
  const chain: JsonObject[] = [tree];
  for (const element of path) {
    const next = chain[chain.length - 1][element];
    if (!isJsonObject(next)) return;
    chain.push(next);
  }
  const target = chain[chain.length - 1];
  if (Object.keys(target).some((key) => key !== '.')) {
    delete target['.'];
    return;
  }
  for (let depth = path.length; depth >= 1; depth--) {
    const parent = chain[depth - 1];
    delete parent[path[depth - 1]];
    if (depth === 1 || Object.keys(parent).length > 0) return;
  }
}

/** Adds path to the set that tree encodes. */
export function addPath(tree: JsonObject, path: FieldPath): void {
  let node = tree;
  for (const [position, element] of path.entries()) {
    const existing = node[element];
    const last = position === path.length - 1;
    if (isJsonObject(existing)) {
      // A member leaf that gains children keeps its membership as ".".
      if (!last && Object.keys(existing).length === 0) existing['.'] = {};
      if (last && Object.keys(existing).length > 0) existing['.'] = {};
      node = existing;
    } else {
      const created: JsonObject = {};
      node[element] = created;
      node = created;
    }
  }
}
