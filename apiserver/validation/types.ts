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

function walk(node: SchemaNode, value: unknown, path: string, causes: StatusCause[]): void {
  // JSON null decodes to the zero value of any field.
  if (value === null || value === undefined || isFreeForm(node) && isObject(value)) return;
  const mismatch = (expected: string) => causes.push(typeInvalid(path, jsonType(value), `must be of type ${expected}`));
  switch (node.ref.form) {
    case 'scalar': {
      const expected = scalarMismatch(node.ref.name, value);
      if (expected) mismatch(expected);
      return;
    }
    case 'named':
      if (!isObject(value)) return void mismatch('object');
      for (const [key, child] of Object.entries(value)) {
        const childNode = fieldNode(node, key);
        if (childNode) walk(childNode, child, path ? `${path}.${key}` : key, causes);
      }
      return;
    case 'list': {
      const item = itemNode(node);
      if (!Array.isArray(value)) return void mismatch('array');
      if (item) value.forEach((element: unknown, position) => walk(item, element, `${path}[${position}]`, causes));
      return;
    }
    case 'map': {
      const entry = valueNode(node);
      if (!isObject(value)) return void mismatch('object');
      if (entry) for (const [key, element] of Object.entries(value)) walk(entry, element, `${path}[${key}]`, causes);
      return;
    }
  }
}

/** Returns a cause for every field whose JSON type differs from the kind's schema, such as spec.replicas given as a string. */
export function findTypeErrors(type: ResourceType, object: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  walk(rootNode(typeOfResource(type)), object, '', causes);
  return causes;
}
