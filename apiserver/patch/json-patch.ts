// JSON Patch (RFC 6902): add, remove, replace, move, copy and test over JSON
// Pointers (RFC 6901). kubectl sends it for `kubectl patch --type=json` and
// for `kubectl rollout undo`.

import { badRequest } from '../errors.js';
import { clone, deepEqual, isJsonObject, unprocessablePatch, type JsonValue } from './json.js';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: JsonValue;
}

function parseOperations(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw badRequest('json patch must be a JSON array of operations');
  return body.map((operation: unknown, position) => {
    if (!isJsonObject(operation) || typeof operation.op !== 'string') throw badRequest(`json patch operation ${position} has no "op"`);
    if (typeof operation.path !== 'string') throw badRequest(`json patch operation ${position} (${operation.op}) has no "path"`);
    if (['move', 'copy'].includes(operation.op) && typeof operation.from !== 'string') throw badRequest(`json patch operation ${position} (${operation.op}) has no "from"`);
    if (['add', 'replace', 'test'].includes(operation.op) && !('value' in operation)) throw badRequest(`json patch operation ${position} (${operation.op}) has no "value"`);
    return { op: operation.op, path: operation.path, from: typeof operation.from === 'string' ? operation.from : undefined, value: operation.value };
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch path "${pointer}" must start with '/'`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw unprocessablePatch(`json patch path "${pointer}": "${token}" is not an array index`);
  const position = Number(token);
  if (position > length || (!allowEnd && position === length)) throw unprocessablePatch(`json patch path "${pointer}": index ${position} is out of bounds`);
  return position;
}

/** Returns the container of the pointer's last token, which must exist. */
function parentOf(document: JsonValue, tokens: string[], pointer: string): JsonValue {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[arrayIndex(token, current.length, false, pointer)];
    else if (isJsonObject(current) && token in current) current = current[token];
    else throw unprocessablePatch(`json patch path "${pointer}": doc is missing path "${pointer}"`);
  }
  return current;
}

function get(document: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return document;
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, pointer)];
  if (isJsonObject(parent) && last in parent) return parent[last];
  throw unprocessablePatch(`json patch path "${pointer}": doc is missing path "${pointer}"`);
}

function add(document: JsonValue, pointer: string, value: JsonValue): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else if (isJsonObject(parent)) parent[last] = value;
  else throw unprocessablePatch(`json patch path "${pointer}": parent is not a container`);
  return document;
}

function remove(document: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw unprocessablePatch('json patch cannot remove the whole document');
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
  else if (isJsonObject(parent) && last in parent) delete parent[last];
  else throw unprocessablePatch(`json patch path "${pointer}": doc is missing path "${pointer}"`);
  return document;
}

function applyOperation(document: JsonValue, operation: Operation): JsonValue {
  const value = operation.value ?? null;
  switch (operation.op) {
    case 'add':
      return add(document, operation.path, clone(value));
    case 'remove':
      return remove(document, operation.path);
    case 'replace':
      get(document, operation.path);
      return add(remove(document, operation.path), operation.path, clone(value));
    case 'move': {
      const moved = get(document, operation.from ?? '');
      return add(remove(document, operation.from ?? ''), operation.path, moved);
    }
    case 'copy':
      return add(document, operation.path, clone(get(document, operation.from ?? '')));
    case 'test':
      if (!deepEqual(get(document, operation.path), value)) throw unprocessablePatch(`json patch test operation failed: the value at "${operation.path}" is not ${JSON.stringify(value)}`);
      return document;
    default:
      throw badRequest(`json patch operation "${operation.op}" is not supported; use add, remove, replace, move, copy or test`);
  }
}

/** Applies a JSON patch; the patch either applies whole or throws. */
export function applyJsonPatch(document: JsonValue, body: unknown): JsonValue {
  let result = clone(document);
  for (const operation of parseOperations(body)) result = applyOperation(result, operation);
  return result;
}
