// Strategic merge patch, the patch format kubectl sends for client-side
// apply, `set image`, `set env`, `cordon` and `rollout restart|pause`. It is a
// merge patch whose lists merge by the schema's patch merge key (containers
// and env by name, ports by containerPort) and which carries directives:
//   $patch: replace | delete | merge     on a map, or as a list item
//   $retainKeys: [...]                   keys to keep; others are cleared
//   $setElementOrder/<list>: [...]       the order of the merged list
//   $deleteFromPrimitiveList/<list>: [...] values to remove from a primitive list

import { badRequest } from '../errors.js';
import { fieldNode, itemNode, valueNode, type FieldSchema, type SchemaNode } from '../openapi/schema/index.js';
import { clone, deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json.js';

const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

function childNode(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  return node.ref.form === 'map' ? valueNode(node) : fieldNode(node, key);
}

function isDirectiveKey(key: string): boolean {
  return key === '$patch' || key === '$retainKeys' || key.startsWith(setElementOrderPrefix) || key.startsWith(deleteFromPrimitiveListPrefix);
}

/** Removes directives from a value that has no original to merge into. */
function stripDirectives(value: JsonValue, node: SchemaNode | undefined): JsonValue {
  if (Array.isArray(value)) {
    const item = node ? itemNode(node) : undefined;
    return value.filter((element) => !(isJsonObject(element) && (element.$patch === 'replace' || element.$patch === 'delete')))
      .map((element) => stripDirectives(element, item));
  }
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (isDirectiveKey(key) || child === null) continue;
    result[key] = stripDirectives(child, childNode(node, key));
  }
  return result;
}

function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonValue | undefined {
  const directive = patch.$patch;
  if (directive === 'replace') return stripDirectives(patch, node);
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);

  const result: JsonObject = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      const field = key.slice(deleteFromPrimitiveListPrefix.length);
      const current = result[field];
      if (Array.isArray(value) && Array.isArray(current)) result[field] = current.filter((item) => !value.some((removed) => deepEqual(removed, item)));
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (isDirectiveKey(key)) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const child = childNode(node, key);
    const current = result[key];
    let merged: JsonValue | undefined;
    if (isJsonObject(value) && isJsonObject(current)) merged = mergeMap(current, value, child);
    else if (isJsonObject(value)) merged = value.$patch === 'delete' ? undefined : stripDirectives(value, child);
    else if (Array.isArray(value)) merged = mergeList(Array.isArray(current) ? current : [], value, child?.field, child);
    else merged = value;
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix) || !Array.isArray(value)) continue;
    const field = key.slice(setElementOrderPrefix.length);
    const list = result[field];
    const mergeKey = childNode(node, field)?.field?.mergeKey;
    if (Array.isArray(list)) result[field] = orderList(list, value, mergeKey);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const retained = new Set(patch.$retainKeys.map(String));
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key];
  }
  return result;
}

function identity(item: JsonValue, mergeKey: string | undefined): JsonValue {
  return mergeKey && isJsonObject(item) ? item[mergeKey] ?? null : item;
}

/**
 * Orders a merged list by its $setElementOrder directive. Items the order
 * names come in that order. Items that only the server has keep their place
 * after the item that preceded them.
 */
function orderList(list: JsonValue[], order: JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const wanted = order.map((item) => identity(item, mergeKey));
  const rank = (item: JsonValue) => wanted.findIndex((key) => deepEqual(key, identity(item, mergeKey)));
  const named = list.filter((item) => rank(item) !== -1).sort((a, b) => rank(a) - rank(b));
  const result: JsonValue[] = [];
  let nextNamed = 0;
  for (const item of list) {
    if (rank(item) === -1) result.push(item);
    else result.push(named[nextNamed++]);
  }
  return result;
}

function mergeList(original: JsonValue[], patch: JsonValue[], field: FieldSchema | undefined, node: SchemaNode | undefined): JsonValue[] {
  const item = node ? itemNode(node) : undefined;
  if (patch.some((element) => isJsonObject(element) && element.$patch === 'replace')) {
    return patch.filter((element) => !(isJsonObject(element) && element.$patch === 'replace')).map((element) => stripDirectives(element, item));
  }
  const merging = field?.patchStrategy?.includes('merge') === true;
  if (!merging) return patch.map((element) => stripDirectives(element, item));

  const mergeKey = field?.mergeKey;
  if (!mergeKey) {
    // A primitive list with the merge strategy, such as finalizers, is a set union.
    const result = [...original];
    for (const element of patch) if (!result.some((existing) => deepEqual(existing, element))) result.push(element);
    return result;
  }

  const result = [...original];
  for (const element of patch) {
    if (!isJsonObject(element)) throw badRequest(`strategic merge patch: list items merged by "${mergeKey}" must be objects, got ${JSON.stringify(element)}`);
    const key = element[mergeKey];
    if (key === undefined) throw badRequest(`map: ${JSON.stringify(element)} does not contain declared merge key: ${mergeKey}`);
    const position = result.findIndex((existing) => isJsonObject(existing) && deepEqual(existing[mergeKey], key));
    if (element.$patch === 'delete') {
      if (position !== -1) result.splice(position, 1);
      continue;
    }
    if (position === -1) result.push(stripDirectives(element, item));
    else {
      const existing = result[position];
      const merged = mergeMap(isJsonObject(existing) ? existing : {}, element, item);
      if (merged === undefined) result.splice(position, 1);
      else result[position] = merged;
    }
  }
  return result;
}

/** Applies a strategic merge patch to a document whose schema starts at node. */
export function applyStrategicMergePatch(document: JsonValue, patch: unknown, node: SchemaNode): JsonValue {
  if (!isJsonObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  if (!isJsonObject(document)) return stripDirectives(patch, node);
  return mergeMap(clone(document), patch, node) ?? {};
}
