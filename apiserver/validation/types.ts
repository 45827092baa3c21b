// JSON type checks against the schema description: a string where a list
// belongs, or text where an integer belongs. kube-apiserver rejects such
// bodies while decoding them; catching them here keeps every later step
// (defaulting, validation, tables) working on values of the declared types.

import type { ResourceType } from '../../api/resources.js';
import type { StatusCause } from '../../api/types.js';
import { fieldNode, isFreeForm, itemNode, rootNode, typeOfResource, valueNode, type SchemaNode } from '../openapi/schema/index.js';
import { isObject, typeInvalid } from './causes.js';

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

/** Returns the expected type's name when value does not fit a scalar type, or undefined when it fits. */
function scalarMismatch(name: string, value: unknown): string | undefined {
  switch (name) {
    case 'string':
    case 'Time':
    case 'MicroTime':
      return typeof value === 'string' ? undefined : 'string';
    case 'integer':
    case 'int64':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : 'integer';
    case 'number':
      return typeof value === 'number' ? undefined : 'number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'boolean';
    case 'Quantity':
      return typeof value === 'string' || typeof value === 'number' ? undefined : 'string';
    case 'IntOrString':
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)) ? undefined : 'integer or string';
    case 'object':
      return isObject(value) ? undefined : 'object';
    default:
      return undefined;
  }
}

/**
 * The path of the value being checked, as a stack of field names (strings)
 * and list indexes or map keys (in brackets). A cause needs the path as
 * text, but a valid body (the usual case) never does, so the text is built
 * only for a mismatch, and the walk allocates nothing per field. Only schema
 * field names are pushed unbracketed, and none starts with '['.
 */
type PathStack = string[];

function pathText(path: PathStack): string {
  let text = '';
  for (const segment of path) text += segment.startsWith('[') || text === '' ? segment : `.${segment}`;
  return text;
}

function mismatch(causes: StatusCause[], path: PathStack, value: unknown, expected: string): void {
  causes.push(typeInvalid(pathText(path), jsonType(value), `must be of type ${expected}`));
}

function walk(node: SchemaNode, value: unknown, path: PathStack, causes: StatusCause[]): void {
  // JSON null decodes to the zero value of any field.
  if (value === null || value === undefined || isFreeForm(node) && isObject(value)) return;
  switch (node.ref.form) {
    case 'scalar': {
      const expected = scalarMismatch(node.ref.name, value);
      if (expected) mismatch(causes, path, value, expected);
      return;
    }
    case 'named':
      if (!isObject(value)) return mismatch(causes, path, value, 'object');
      for (const key in value) {
        const childNode = fieldNode(node, key);
        if (!childNode) continue;
        path.push(key);
        walk(childNode, value[key], path, causes);
        path.pop();
      }
      return;
    case 'list': {
      const item = itemNode(node);
      if (!Array.isArray(value)) return mismatch(causes, path, value, 'array');
      if (!item) return;
      for (let position = 0; position < value.length; position++) {
        path.push(`[${position}]`);
        walk(item, value[position], path, causes);
        path.pop();
      }
      return;
    }
    case 'map': {
      const entry = valueNode(node);
      if (!isObject(value)) return mismatch(causes, path, value, 'object');
      if (!entry) return;
      for (const key in value) {
        path.push(`[${key}]`);
        walk(entry, value[key], path, causes);
        path.pop();
      }
      return;
    }
  }
}

/** Returns a cause for every field whose JSON type differs from the kind's schema, such as spec.replicas given as a string. */
export function findTypeErrors(type: ResourceType, object: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  walk(rootNode(typeOfResource(type)), object, [], causes);
  return causes;
}
