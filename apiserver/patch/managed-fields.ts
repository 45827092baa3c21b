// metadata.managedFields bookkeeping: which manager owns which fields, kept
// per (manager, operation, subresource) as kube-apiserver keeps it.

import type { KubeObject, ManagedFieldsEntry } from '../../api/types.js';
import { rootNode, type SchemaNode, type TypeSchema } from '../openapi/schema/index.js';
import { addedPaths, diffFields, type AddedValue, type FieldChanges } from './field-diff.js';
import { addPath, graftTree, nodeAtPath, removePath } from './fields-tree.js';
import { childOf, collectFields, compareElements, FieldSet, fieldsTreeOf, fromFieldsV1, sortTree, toFieldsV1, type FieldPath } from './fieldset.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

// Fields the server sets, which no manager owns.
const serverMetadataFields = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

/** Returns whether a manager operation through subresource tracks this path: status through status, the rest otherwise. */
export function isTracked(path: FieldPath, subresource: string | undefined): boolean {
  const [first, second] = path;
  if (first === 'f:apiVersion' || first === 'f:kind') return false;
  if (first === 'f:metadata' && (second === undefined || serverMetadataFields.includes(second.slice(2)))) return false;
  if (subresource === 'status') return first === 'f:status';
  if (subresource === 'scale') return first === 'f:spec';
  return first !== 'f:status';
}

/**
 * Reports whether no path under this one- or two-element path is tracked,
 * following isTracked: metadata is tracked below its top level unless the
 * write goes through a subresource, and its server fields never are.
 */
function isUntrackedSubtree(path: FieldPath, subresource: string | undefined): boolean {
  if (path.length === 1 && path[0] === 'f:metadata') return subresource === 'status' || subresource === 'scale';
  return !isTracked(path, subresource);
}

/** Returns the tracked fields of an object, as the set its creator owns. */
export function fieldsOf(object: KubeObject | JsonValue | undefined, root: SchemaNode, subresource: string | undefined): FieldSet {
  const all = new FieldSet();
  collectFields(object as JsonValue | undefined, root, [], all);
  return FieldSet.of([...all].filter((path) => isTracked(path, subresource)));
}

let cachedSecond = -1;
let cachedTimestamp = '';

/** Returns the current time in whole seconds as RFC 3339; formatted once per second, because every write needs it. */
export function now(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTimestamp = new Date(second * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  }
  return cachedTimestamp;
}

export function sameManager(entry: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined): boolean {
  return entry.manager === manager && entry.operation === operation && (entry.subresource ?? '') === (subresource ?? '');
}

/** Replaces each entry's set by edit(set); entries left empty are dropped. */
export function editEntries(entries: ManagedFieldsEntry[], edit: (set: FieldSet, entry: ManagedFieldsEntry) => FieldSet): ManagedFieldsEntry[] {
  const result: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    const set = edit(fromFieldsV1(entry.fieldsV1), entry);
    if (set.size === 0) continue;
    result.push({ ...entry, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(set) });
  }
  return result;
}

/** Sets a manager's entry to set (merged with what it owned before when merge is true), appending it when new. */
export function upsertEntry(entries: ManagedFieldsEntry[], entry: Omit<ManagedFieldsEntry, 'fieldsV1' | 'fieldsType' | 'time'>, set: FieldSet, merge: boolean): ManagedFieldsEntry[] {
  const operation = entry.operation ?? 'Update';
  const position = entries.findIndex((candidate) => sameManager(candidate, entry.manager ?? '', operation, entry.subresource));
  const previous = position === -1 ? new FieldSet() : fromFieldsV1(entries[position].fieldsV1);
  const combined = merge ? previous.union(set) : set;
  const result = [...entries];
  if (combined.size === 0) {
    if (position !== -1) result.splice(position, 1);
    return result;
  }
  const updated: ManagedFieldsEntry = { ...entry, time: now(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(combined) };
  if (!updated.subresource) delete updated.subresource;
  if (position === -1) result.push(updated);
  else result[position] = updated;
  return result;
}

/**
 * Builds the FieldsV1 tree of the tracked fields of fields, an object at
 * parent: the top level of an object or its metadata. Untracked fields, such
 * as status or metadata.uid, are skipped before their subtrees are built
 * rather than deleted after, because deleting keys would slow every later use
 * of the tree, its serialization included.
 */
function trackedTree(fields: JsonObject, node: SchemaNode | undefined, parent: FieldPath, subresource: string | undefined): JsonObject {
  const tree: JsonObject = {};
  for (const key of Object.keys(fields).sort(compareElements)) {
    const value = fields[key];
    const element = `f:${key}`;
    if (value === undefined) continue;
    if (parent.length === 0 && key === 'metadata') {
      // Metadata itself is not a member, but some of its fields are.
      if (!isJsonObject(value)) continue;
      const metadata = trackedTree(value, childOf(node, key), [element], subresource);
      if (Object.keys(metadata).length > 0) tree[element] = metadata;
    } else if (isTracked([...parent, element], subresource)) {
      tree[element] = fieldsTreeOf(value, childOf(node, key));
    }
  }
  return tree;
}

/** Records the first entry of a new object, straight from its fields; creates are the hot path of the apiserver. */
function recordCreate(root: SchemaNode, apiVersion: string, object: KubeObject, manager: string, subresource: string | undefined): void {
  const tree = trackedTree(object as unknown as JsonObject, root, [], subresource);
  if (Object.keys(tree).length === 0) {
    object.metadata.managedFields = [];
    return;
  }
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: tree };
  if (subresource) entry.subresource = subresource;
  object.metadata.managedFields = [entry];
}

/**
 * Takes the fields of a value the update added away from another manager's
 * tree. A manager rarely owns anything under a path that did not exist, so
 * the fields are listed only when the tree has a node there. The updater's
 * own entry keeps them, because it owns them again right after.
 */
function removeAdded(tree: JsonObject, value: AddedValue, entry: ManagedFieldsEntry, manager: string, subresource: string | undefined): void {
  if (sameManager(entry, manager, 'Update', subresource) || !nodeAtPath(tree, value.path)) return;
  for (const path of addedPaths(value)) removePath(tree, path);
}

/**
 * Records an Update operation: the manager takes ownership of every field it
 * added or changed, away from other managers, and removed fields leave every
 * manager's set.
 */
export function recordUpdate(type: TypeSchema, apiVersion: string, old: KubeObject | undefined, object: KubeObject, manager: string, subresource?: string): void {
  const root = rootNode(type);
  if (!old && (object.metadata.managedFields ?? []).length === 0) {
    recordCreate(root, apiVersion, object, manager, subresource);
    return;
  }

  const changes: FieldChanges = { changed: [], removed: [], added: [], untracked: (path) => isUntrackedSubtree(path, subresource) };
  diffFields(old as unknown as JsonValue | undefined, object as unknown as JsonValue, root, [], changes);
  const changed = changes.changed.filter((path) => isTracked(path, subresource));
  const removed = changes.removed.filter((path) => isTracked(path, subresource));
  // An added value is at least two levels deep, so its own path decides tracking for everything in it.
  const added = changes.added.filter((value) => isTracked(value.path, subresource));

  // The incoming entries are the request's own copy unless it sent none.
  const entries = object.metadata.managedFields ?? structuredClone(old?.metadata.managedFields ?? []);
  if (changed.length === 0 && removed.length === 0 && added.length === 0) {
    object.metadata.managedFields = entries;
    return;
  }

  const kept: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    const tree = isJsonObject(entry.fieldsV1) ? entry.fieldsV1 as JsonObject : {};
    for (const path of removed) removePath(tree, path);
    for (const path of changed) removePath(tree, path);
    for (const value of added) removeAdded(tree, value, entry, manager, subresource);
    if (Object.keys(tree).length > 0) kept.push({ ...entry, fieldsV1: tree });
  }

  if (changed.length > 0 || added.length > 0) {
    let own = kept.find((entry) => sameManager(entry, manager, 'Update', subresource));
    if (!own) {
      own = { manager, operation: 'Update', apiVersion, fieldsType: 'FieldsV1', fieldsV1: {} };
      if (subresource) own.subresource = subresource;
      kept.push(own);
    }
    const tree = (own.fieldsV1 ?? {}) as JsonObject;
    for (const path of changed) addPath(tree, path);
    for (const value of added) graftTree(tree, value.path, fieldsTreeOf(value.value, value.node), value.member);
    own.fieldsV1 = sortTree(tree);
    own.apiVersion = apiVersion;
    own.time = now();
  }
  object.metadata.managedFields = kept;
}
