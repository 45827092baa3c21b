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

/** Returns the child of node at element, created when missing, to add something under it. */
function childForAdding(node: JsonObject, element: string): JsonObject {
  const existing = node[element];
  if (!isJsonObject(existing)) return (node[element] = {});
  // A member leaf that gains children keeps its membership as ".".
  if (isEmpty(existing)) existing['.'] = {};
  return existing;
}

/** Adds path to the set that tree encodes. */
export function addPath(tree: JsonObject, path: FieldPath): void {
  if (path.length === 0) return;
  let node = tree;
  for (let position = 0; position < path.length - 1; position++) node = childForAdding(node, path[position]);
  const last = path[path.length - 1];
  const existing = node[last];
  if (!isJsonObject(existing)) node[last] = {};
  else if (!isEmpty(existing)) existing['.'] = {};
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

/** Adds every member of source to target, where both are FieldsV1 trees at the same position. */
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
  for (let position = 0; position < path.length - 1; position++) parent = childForAdding(parent, path[position]);
  if (member && !isEmpty(subtree)) subtree['.'] = {};
  unionInto(parent, { [path[path.length - 1]]: subtree });
}
