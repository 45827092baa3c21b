// In-place edits of FieldsV1 trees, so that an update touches only the paths
// it changed instead of converting every manager's set back and forth.
// In a tree, an empty object is a member leaf, and "." marks a member that
// also has children.

import type { FieldPath } from './fieldset.js';
import { isJsonObject, type JsonObject } from './json.js';

// These run for every changed field of every write, so they test for keys
// with loops instead of allocating key arrays.

function isEmpty(node: JsonObject): boolean {
  for (const _key in node) return false;
  return true;
}

function hasChildren(node: JsonObject): boolean {
  for (const key in node) if (key !== '.') return true;
  return false;
}

/** Removes path from the set that tree encodes; ancestors left empty, which were not members, go too. */
export function removePath(tree: JsonObject, path: FieldPath): void {
  // Most paths of an update lie outside most managers' sets.
  if (path.length === 0 || !isJsonObject(tree[path[0]])) return;
  const chain: JsonObject[] = [tree];
  for (const element of path) {
    const next = chain[chain.length - 1][element];
    if (!isJsonObject(next)) return;
    chain.push(next);
  }
  const target = chain[chain.length - 1];
  if (hasChildren(target)) {
    delete target['.'];
    return;
  }
  for (let depth = path.length; depth >= 1; depth--) {
    const parent = chain[depth - 1];
    delete parent[path[depth - 1]];
    if (depth === 1 || !isEmpty(parent)) return;
  }
}

/** Adds path to the set that tree encodes. */
export function addPath(tree: JsonObject, path: FieldPath): void {
  let node = tree;
  for (let position = 0; position < path.length; position++) {
    const element = path[position];
    const existing = node[element];
    const last = position === path.length - 1;
    if (isJsonObject(existing)) {
      // A member leaf that gains children keeps its membership as ".".
      if (last !== isEmpty(existing)) existing['.'] = {};
      node = existing;
    } else {
      const created: JsonObject = {};
      node[element] = created;
      node = created;
    }
  }
}
