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

/** Returns the node of tree at path, or undefined when the set has nothing there. */
export function nodeAtPath(tree: JsonObject, path: FieldPath): JsonObject | undefined {
  let node: JsonObject = tree;
  for (const element of path) {
    const next = node[element];
    if (!isJsonObject(next)) return undefined;
    node = next;
  }
  return node;
}

/** Adds every member of source to target, two FieldsV1 trees of the same position. */
function unionInto(target: JsonObject, source: JsonObject): void {
  for (const key in source) {
    if (key === '.') continue;
    const incoming = source[key] as JsonObject;
    const existing = target[key];
    if (!isJsonObject(existing)) {
      target[key] = incoming;
      continue;
    }
    const member = isEmpty(existing) || '.' in existing || isEmpty(incoming) || '.' in incoming;
    unionInto(existing, incoming);
    if (member && hasChildren(existing)) existing['.'] = {};
  }
}

/** Adds subtree, the FieldsV1 tree of a value, to tree at path. member marks path itself as a member. */
export function graftTree(tree: JsonObject, path: FieldPath, subtree: JsonObject, member: boolean): void {
  if (path.length === 0) return;
  let parent = tree;
  for (let position = 0; position < path.length - 1; position++) {
    const element = path[position];
    const existing = parent[element];
    if (isJsonObject(existing)) {
      // A member leaf that gains children keeps its membership as ".".
      if (isEmpty(existing)) existing['.'] = {};
      parent = existing;
    } else {
      const created: JsonObject = {};
      parent[element] = created;
      parent = created;
    }
  }
  if (member && !isEmpty(subtree)) subtree['.'] = {};
  unionInto(parent, { [path[path.length - 1]]: subtree });
}
