// Field sets of server-side apply: which fields of an object a manager owns,
// as paths of elements in the FieldsV1 notation that metadata.managedFields
// stores:
//   f:<name>          a struct field or map key
//   k:<json object>   the item of a map-type list with these key values
//   v:<json value>    the item of a set-type list with this value
// A path names one owned field. A list item is itself a member of the set
// (shown as "." in FieldsV1) next to the fields under it.

import { fieldNode, isAtomicStruct, itemNode, valueNode, type SchemaNode } from '../openapi/schema/index.js';
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json.js';

export type FieldPath = string[];

/** A set of field paths, keyed by their joined form. */
export class FieldSet {
  private readonly paths = new Map<string, FieldPath>();

  static of(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const path of paths) set.add(path);
    return set;
  }

  add(path: FieldPath): void {
    this.paths.set(path.join('\n'), path);
  }

  has(path: FieldPath): boolean {
    return this.paths.has(path.join('\n'));
  }

  get size(): number {
    return this.paths.size;
  }

  [Symbol.iterator](): Iterator<FieldPath> {
    return this.paths.values();
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.of([...this, ...other]);
  }

  difference(other: FieldSet): FieldSet {
    return FieldSet.of([...this].filter((path) => !other.has(path)));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.of([...this].filter((path) => other.has(path)));
  }
}

// List map keys that defaulting fills in, so an applied item without them
// still names the live item that has them.
const keyDefaults: Record<string, JsonValue> = { protocol: 'TCP' };

export function listItemKey(item: JsonValue, keys: readonly string[]): string {
  const object = isJsonObject(item) ? item : {};
  const key: JsonObject = {};
  for (const name of keys) {
    const value = object[name] ?? keyDefaults[name];
    if (value !== undefined) key[name] = value;
  }
  return `k:${JSON.stringify(key)}`;
}

export function childOf(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  return node.ref.form === 'map' ? valueNode(node) : fieldNode(node, key);
}

/** True when a manager owns an object value field by field rather than whole, as atomic structs are owned. */
export function isGranular(node: SchemaNode | undefined): boolean {
  if (!node) return true;
  switch (node.ref.form) {
    case 'map': return true;
    case 'scalar': return node.ref.name === 'object';
    case 'named': return !isAtomicStruct(node);
    case 'list': return false;
  }
}

/** A receiver of field paths, such as a FieldSet. */
export interface PathSink {
  add(path: FieldPath): void;
}

/** Collects the paths a manager comes to own by setting value at prefix. */
export function collectFields(value: JsonValue | undefined, node: SchemaNode | undefined, prefix: FieldPath, out: PathSink): void {
  if (value === undefined) return;
  if (isJsonObject(value) && isGranular(node)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix.length > 0) out.add(prefix);
    for (const [key, child] of entries) collectFields(child, childOf(node, key), [...prefix, `f:${key}`], out);
    return;
  }
  if (Array.isArray(value) && node?.ref.form === 'list' && value.length > 0) {
    const listType = node.field?.listType ?? 'atomic';
    const item = itemNode(node);
    if (listType === 'map') {
      for (const element of value) {
        const path = [...prefix, listItemKey(element, node.field?.listMapKeys ?? [])];
        out.add(path);
        collectFields(element, item, path, out);
      }
      return;
    }
    if (listType === 'set') {
      for (const element of value) out.add([...prefix, `v:${JSON.stringify(element)}`]);
      return;
    }
  }
  if (prefix.length > 0) out.add(prefix);
}

/**
 * Builds the FieldsV1 tree of everything set in value, equal to
 * toFieldsV1 of collectFields but without the intermediate path set, because
 * every create records one.
 */
export function fieldsTreeOf(value: JsonValue, node: SchemaNode | undefined): JsonObject {
  const tree: JsonObject = {};
  fillFieldsTree(value, node, tree);
  return tree;
}

// The "f:" elements of field names, built once per name, since every create
// walks the same few hundred names.
const fieldElements = new Map<string, string>();

function fieldElement(key: string): string {
  let element = fieldElements.get(key);
  if (element === undefined) {
    element = `f:${key}`;
    // Names in request bodies are unbounded, so only the first few thousand are kept.
    if (fieldElements.size < 4096) fieldElements.set(key, element);
  }
  return element;
}

/** Adds the FieldsV1 tree of value to tree, which holds only a "." member marker or nothing when called. */
function fillFieldsTree(value: JsonValue, node: SchemaNode | undefined, tree: JsonObject): void {
  if (isJsonObject(value) && isGranular(node)) {
    for (const key of Object.keys(value).sort(compareElements)) {
      const child = value[key];
      if (child === undefined) continue;
      const subtree: JsonObject = {};
      fillFieldsTree(child, childOf(node, key), subtree);
      tree[fieldElement(key)] = subtree;
    }
    return;
  }
  if (!Array.isArray(value) || node?.ref.form !== 'list' || value.length === 0) return;
  const listType = node.field?.listType ?? 'atomic';
  if (listType === 'map') {
    const keys = node.field?.listMapKeys ?? [];
    const item = itemNode(node);
    const entries = value.map((element) => [listItemKey(element, keys), element] as const);
    entries.sort(([a], [b]) => compareElements(a, b));
    for (const [key, element] of entries) {
      // An item with fields under it is a member too, which "." records first.
      const subtree: JsonObject = { '.': {} };
      fillFieldsTree(element, item, subtree);
      tree[key] = Object.keys(subtree).length > 1 ? subtree : {};
    }
  } else if (listType === 'set') {
    for (const key of value.map((element) => `v:${JSON.stringify(element)}`).sort(compareElements)) tree[key] = {};
  }
}

/** Returns the schema node at a path, or undefined where the schema ends. */
export function nodeAt(root: SchemaNode, path: FieldPath): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const element of path) {
    if (!node) return undefined;
    if (element.startsWith('f:')) node = childOf(node, element.slice(2));
    else node = itemNode(node);
  }
  return node;
}

function matchesKey(item: JsonValue, element: string, keys: readonly string[]): boolean {
  return listItemKey(item, keys) === element;
}

interface Located { found: boolean; value?: JsonValue }

/** Reads the value at a path of an object. */
export function valueAt(object: JsonValue | undefined, path: FieldPath, root: SchemaNode): Located {
  let current: JsonValue | undefined = object;
  let node: SchemaNode | undefined = root;
  for (const element of path) {
    if (element.startsWith('f:')) {
      if (!isJsonObject(current) || !(element.slice(2) in current)) return { found: false };
      current = current[element.slice(2)];
      node = childOf(node, element.slice(2));
    } else if (element.startsWith('k:')) {
      if (!Array.isArray(current)) return { found: false };
      const keys: string[] = node?.field?.listMapKeys ?? [];
      current = current.find((item) => matchesKey(item, element, keys));
      if (current === undefined) return { found: false };
      node = node ? itemNode(node) : undefined;
    } else if (element.startsWith('v:')) {
      if (!Array.isArray(current)) return { found: false };
      const wanted: unknown = JSON.parse(element.slice(2));
      current = current.find((item) => deepEqual(item, wanted));
      if (current === undefined) return { found: false };
      node = undefined;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** Removes the field at a path from an object in place; a missing field is not an error, and an emptied list is removed too. */
export function removeAt(object: JsonValue, path: FieldPath, root: SchemaNode): void {
  if (path.length === 0) return;
  const parent = valueAt(object, path.slice(0, -1), root);
  const last = path[path.length - 1];
  if (!parent.found) return;
  const container = parent.value;
  if (last.startsWith('f:') && isJsonObject(container)) {
    delete container[last.slice(2)];
  } else if (Array.isArray(container)) {
    const node = nodeAt(root, path.slice(0, -1));
    const keys = node?.field?.listMapKeys ?? [];
    const position = last.startsWith('k:')
      ? container.findIndex((item) => matchesKey(item, last, keys))
      : container.findIndex((item) => deepEqual(item, JSON.parse(last.slice(2))));
    if (position !== -1) container.splice(position, 1);
    // A list emptied by removals goes away with its last item.
    if (container.length === 0) removeAt(object, path.slice(0, -1), root);
  }
}

/** Converts a field set to the FieldsV1 tree stored in managedFields. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const tree: JsonObject = {};
  const members = new Set([...set].map((path) => path.join('\n')));
  for (const path of set) {
    let node = tree;
    for (const element of path) {
      const next = node[element];
      node = isJsonObject(next) ? next : (node[element] = {});
    }
  }
  // A member that also has children is marked with ".".
  const mark = (node: JsonObject, prefix: string[]) => {
    for (const [element, child] of Object.entries(node)) {
      if (!isJsonObject(child) || element === '.') continue;
      const path = [...prefix, element];
      if (Object.keys(child).length > 0 && members.has(path.join('\n'))) child['.'] = {};
      mark(child, path);
    }
  };
  mark(tree, []);
  return sortTree(tree);
}

// The "." member marker comes first, then path elements in code point order.
export function compareElements(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '.') return -1;
  if (b === '.') return 1;
  return a < b ? -1 : 1;
}

export function sortTree(tree: JsonObject): JsonObject {
  const sorted: JsonObject = {};
  for (const key of Object.keys(tree).sort(compareElements)) {
    const child = tree[key];
    sorted[key] = isJsonObject(child) ? sortTree(child) : child;
  }
  return sorted;
}

/** Parses a FieldsV1 tree into a field set. */
export function fromFieldsV1(tree: unknown): FieldSet {
  const set = new FieldSet();
  const walk = (node: unknown, prefix: FieldPath) => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (prefix.length > 0 && (keys.length === 0 || keys.includes('.'))) set.add(prefix);
    for (const key of keys) if (key !== '.') walk(node[key], [...prefix, key]);
  };
  walk(tree, []);
  return set;
}

/** Formats a path as kube-apiserver prints it in conflicts: .spec.containers[name="nginx"].image. */
export function formatPath(path: FieldPath): string {
  return path.map((element) => {
    if (element.startsWith('f:')) return `.${element.slice(2)}`;
    if (element.startsWith('v:')) return `[=${element.slice(2)}]`;
    if (element.startsWith('k:')) {
      const key: unknown = JSON.parse(element.slice(2));
      const parts = isJsonObject(key) ? Object.entries(key).map(([name, value]) => `${name}=${JSON.stringify(value)}`) : [];
      return `[${parts.join(',')}]`;
    }
    return `[${element.slice(2)}]`;
  }).join('');
}
