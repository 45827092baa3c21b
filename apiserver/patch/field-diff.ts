// The fields an update changed and removed, found by walking the old and new
// objects side by side. Each field is visited once and no full field sets are
// built, which keeps frequent status updates cheap.

import { itemNode, type SchemaNode } from '../openapi/schema/index.js';
import { childOf, collectFields, isGranular, listItemKey, type FieldPath } from './fieldset.js';
import { deepEqual, isJsonObject, type JsonValue } from './json.js';

export interface FieldChanges {
  /** Paths set or changed by the update, which the updater comes to own. */
  changed: FieldPath[];
  /** Paths that no longer exist, which every manager loses. */
  removed: FieldPath[];
  /**
   * Values that did not exist before, at least two levels deep, kept whole:
   * the updater owns everything in them, which is cheaper to record as one
   * subtree than path by path. Most fields of a status write arrive this way.
   */
  added: AddedValue[];
  /**
   * Reports a path one or two levels deep whose whole subtree no manager
   * tracks, such as metadata.managedFields, so the diff skips it.
   */
  untracked?: (path: FieldPath) => boolean;
}

export interface AddedValue {
  path: FieldPath;
  value: JsonValue;
  node: SchemaNode | undefined;
  /** True when path itself is a member of the set, as a list item is, besides the fields under it. */
  member: boolean;
}

/** Lists the paths of an added value one by one: its own path when it is a member, then every field under it. */
export function addedPaths(value: AddedValue): FieldPath[] {
  const paths: FieldPath[] = value.member ? [value.path] : [];
  collectFields(value.value, value.node, value.path, { add: (path) => paths.push(path) });
  return paths;
}

/** Records a value new at prefix: whole when deep enough that every path under it is tracked alike, else path by path. */
function addedValue(value: JsonValue, node: SchemaNode | undefined, prefix: FieldPath, member: boolean, changes: FieldChanges): void {
  if (prefix.length >= 2) {
    changes.added.push({ path: prefix, value, node, member });
    return;
  }
  if (member) changes.changed.push(prefix);
  collectInto(value, node, prefix, changes.changed);
}

function collectInto(value: JsonValue, node: SchemaNode | undefined, prefix: FieldPath, into: FieldPath[]): void {
  collectFields(value, node, prefix, { add: (path) => into.push(path) });
}

/** Records a whole-value replacement: every new path is changed, and old paths the new value lacks are removed. */
function replaced(old: JsonValue, current: JsonValue, node: SchemaNode | undefined, prefix: FieldPath, changes: FieldChanges): void {
  const before: FieldPath[] = [];
  const after: FieldPath[] = [];
  collectInto(old, node, prefix, before);
  collectInto(current, node, prefix, after);
  const kept = new Set(after.map((path) => path.join('\n')));
  changes.removed.push(...before.filter((path) => !kept.has(path.join('\n'))));
  changes.changed.push(...after);
}

function diffObjects(old: Record<string, JsonValue>, current: Record<string, JsonValue>, node: SchemaNode | undefined, prefix: FieldPath, changes: FieldChanges): void {
  // An empty object is itself a member of the field set, as a leaf.
  const wasLeaf = Object.keys(old).length === 0;
  const isLeaf = Object.keys(current).length === 0;
  if (prefix.length > 0 && isLeaf && !wasLeaf) changes.changed.push(prefix);
  if (prefix.length > 0 && wasLeaf && !isLeaf) changes.removed.push(prefix);

  const untracked = prefix.length < 2 ? changes.untracked : undefined;
  for (const [key, value] of Object.entries(current)) {
    const path = [...prefix, `f:${key}`];
    if (untracked?.(path)) continue;
    diffFields(old[key], value, childOf(node, key), path, changes);
  }
  for (const [key, value] of Object.entries(old)) {
    if (key in current) continue;
    const path = [...prefix, `f:${key}`];
    if (untracked?.(path)) continue;
    diffFields(value, undefined, childOf(node, key), path, changes);
  }
}

function diffKeyedItems(old: JsonValue[], current: JsonValue[], keyOf: (item: JsonValue) => string, item: SchemaNode | undefined, prefix: FieldPath, changes: FieldChanges, descend: boolean): void {
  const oldItems = new Map(old.map((element) => [keyOf(element), element]));
  const currentKeys = new Set<string>();
  for (const element of current) {
    const key = keyOf(element);
    currentKeys.add(key);
    const path = [...prefix, key];
    const before = oldItems.get(key);
    if (before === undefined) {
      if (descend) addedValue(element, item, path, true, changes);
      else changes.changed.push(path);
    } else if (descend) {
      diffFields(before, element, item, path, changes);
    }
  }
  for (const [key, element] of oldItems) {
    if (currentKeys.has(key)) continue;
    const path = [...prefix, key];
    changes.removed.push(path);
    if (descend) collectInto(element, item, path, changes.removed);
  }
}

/** Adds the paths that differ between old and current, at prefix with schema node, to changes. */
export function diffFields(old: JsonValue | undefined, current: JsonValue | undefined, node: SchemaNode | undefined, prefix: FieldPath, changes: FieldChanges): void {
  if (old === current) return;
  if (current === undefined) {
    if (old !== undefined) collectInto(old, node, prefix, changes.removed);
    return;
  }
  if (old === undefined) {
    addedValue(current, node, prefix, false, changes);
    return;
  }
  if (isJsonObject(old) && isJsonObject(current) && isGranular(node)) {
    diffObjects(old, current, node, prefix, changes);
    return;
  }
  const listType = node?.ref.form === 'list' ? node.field?.listType ?? 'atomic' : undefined;
  if (Array.isArray(old) && Array.isArray(current) && old.length > 0 && current.length > 0 && (listType === 'map' || listType === 'set')) {
    const keys = node?.field?.listMapKeys ?? [];
    const keyOf = listType === 'map' ? (element: JsonValue) => listItemKey(element, keys) : (element: JsonValue) => `v:${JSON.stringify(element)}`;
    diffKeyedItems(old, current, keyOf, node ? itemNode(node) : undefined, prefix, changes, listType === 'map');
    return;
  }
  if (!deepEqual(old, current)) replaced(old, current, node, prefix, changes);
}
