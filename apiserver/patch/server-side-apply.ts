// Server-side apply (`kubectl apply --server-side`): the body is the
// manager's whole intent, and its fields merge into the live object. Fields
// the manager applied before and has now dropped are removed, unless another
// manager owns them. Changing a field that another manager owns, to a value
// other than the live one, is a conflict unless the request forces it.

import type { KubeObject, ManagedFieldsEntry, StatusCause } from '../../api/types.js';
import { StatusError } from '../errors.js';
import { fieldNode, isAtomicStruct, itemNode, rootNode, valueNode, type SchemaNode, type TypeSchema } from '../openapi/schema/index.js';
import { FieldSet, formatPath, fromFieldsV1, listItemKey, removeAt, valueAt, type FieldPath } from './fieldset.js';
import { clone, deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { editEntries, fieldsOf, sameManager, upsertEntry } from './managed-fields.js';

export interface ApplyRequest {
  type: TypeSchema;
  apiVersion: string;
  /** A resource name for messages, such as deployments.apps. */
  resource: string;
  current: KubeObject | undefined;
  applied: JsonObject;
  manager: string;
  force: boolean;
  subresource?: string;
}

function childOf(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  return node.ref.form === 'map' ? valueNode(node) : fieldNode(node, key);
}

/** Merges applied configuration into live: structs and maps by key, map-type lists by item key, sets by value, the rest replaced. */
function mergeApplied(live: JsonValue | undefined, applied: JsonValue, node: SchemaNode | undefined): JsonValue {
  if (isJsonObject(applied) && isJsonObject(live)) {
    if (node?.ref.form === 'list' || (node !== undefined && isAtomicStruct(node))) return clone(applied);
    const result: JsonObject = { ...live };
    for (const [key, value] of Object.entries(applied)) result[key] = mergeApplied(live[key], value, childOf(node, key));
    return result;
  }
  if (Array.isArray(applied) && Array.isArray(live) && node?.ref.form === 'list') {
    const listType = node.field?.listType ?? 'atomic';
    if (listType === 'map') {
      const keys = node.field?.listMapKeys ?? [];
      const result = [...live];
      for (const item of applied) {
        const position = result.findIndex((existing) => listItemKey(existing, keys) === listItemKey(item, keys));
        if (position === -1) result.push(clone(item));
        else result[position] = mergeApplied(result[position], item, itemNode(node));
      }
      return result;
    }
    if (listType === 'set') return [...live, ...applied.filter((item) => !live.some((existing) => deepEqual(existing, item)))];
  }
  return clone(applied);
}

interface Conflict { manager: string; path: FieldPath }

/** Names a manager as kube-apiserver does in conflicts: "name", with its subresource, and the API version of an Update. */
function describeManager(entry: ManagedFieldsEntry): string {
  let text = JSON.stringify(entry.manager ?? '');
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion ?? ''}`;
  return text;
}

function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${conflicts[0].manager}: ${formatPath(conflicts[0].path)}`;
  const byManager = new Map<string, string[]>();
  for (const conflict of conflicts) byManager.set(conflict.manager, [...(byManager.get(conflict.manager) ?? []), formatPath(conflict.path)]);
  const lines = [...byManager.keys()].sort().flatMap((manager) => [`conflicts with ${manager}:`, ...(byManager.get(manager) ?? []).map((path) => `- ${path}`)]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

function conflictError(request: ApplyRequest, conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((conflict) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${conflict.manager}`,
    field: formatPath(conflict.path),
  }));
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: conflictMessage(conflicts), reason: 'Conflict', code: 409,
    details: { name: request.current?.metadata.name ?? '', group: request.type.gvk?.[0]?.group, kind: request.resource, causes },
  });
}

function findConflicts(request: ApplyRequest, live: JsonValue, merged: JsonValue, appliedSet: FieldSet, root: SchemaNode): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const entry of request.current?.metadata.managedFields ?? []) {
    if (entry.manager === request.manager) continue;
    if ((entry.subresource ?? '') !== (request.subresource ?? '')) continue;
    for (const path of fromFieldsV1(entry.fieldsV1)) {
      // A list item's membership never conflicts; the fields under it do.
      const last = path[path.length - 1];
      if (!appliedSet.has(path) || last.startsWith('k:') || last.startsWith('v:')) continue;
      const before = valueAt(live, path, root);
      const after = valueAt(merged, path, root);
      if (before.found && !deepEqual(before.value, after.value)) {
        conflicts.push({ manager: describeManager(entry), path });
      }
    }
  }
  return conflicts;
}

/** Applies a server-side apply request and returns the new object with its managedFields. */
export function serverSideApply(request: ApplyRequest): KubeObject {
  const root = rootNode(request.type);
  const applied = clone(request.applied);
  if (isJsonObject(applied.metadata)) delete applied.metadata.managedFields;
  if (request.subresource !== 'status') delete applied.status;

  const live: JsonValue = request.current ? clone(request.current as unknown as JsonValue) : {};
  const merged = mergeApplied(live, applied, root);
  const appliedSet = fieldsOf(applied, root, request.subresource);

  const conflicts = findConflicts(request, live, merged, appliedSet, root);
  if (conflicts.length > 0 && !request.force) throw conflictError(request, conflicts);

  // Fields this manager applied before and has dropped now go away, unless another manager still owns them.
  const entries = request.current?.metadata.managedFields ?? [];
  const own = entries.find((entry) => sameManager(entry, request.manager, 'Apply', request.subresource));
  const dropped = own ? fromFieldsV1(own.fieldsV1).difference(appliedSet) : new FieldSet();
  const ownedByOthers = entries.filter((entry) => entry !== own).reduce((set, entry) => set.union(fromFieldsV1(entry.fieldsV1)), new FieldSet());
  // Shallow paths first: removing a list item by its key needs the key fields still in place.
  const removals = [...dropped.difference(ownedByOthers)].sort((a, b) => a.length - b.length);
  for (const path of removals) removeAt(merged, path, root);

  const forcedFields = FieldSet.of(conflicts.map((conflict) => conflict.path));
  let managed = editEntries(entries.filter((entry) => entry !== own), (set, entry) =>
    entry.manager === request.manager ? set : set.difference(forcedFields));
  managed = upsertEntry(managed, { manager: request.manager, operation: 'Apply', apiVersion: request.apiVersion, subresource: request.subresource }, appliedSet, false);

  const result = merged as unknown as KubeObject;
  result.metadata = isJsonObject(result.metadata) ? result.metadata : {};
  result.metadata.managedFields = managed;
  return result;
}
