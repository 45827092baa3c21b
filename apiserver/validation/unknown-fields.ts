// Detection of fields the schema does not define, for the fieldValidation
// query parameter: Strict rejects them, Warn reports them, Ignore drops them.

import type { ResourceType } from '../../api/resources.js';
import { fieldNode, isFreeForm, itemNode, rootNode, typeOfResource, valueNode, type SchemaNode } from '../openapi/schema/index.js';
import { isObject } from './causes.js';

/**
 * Renders a stack of field names and bracketed list indexes or map keys as a
 * dotted path. Only schema field names are pushed, and none starts with '['.
 */
function pathText(path: readonly string[]): string {
  let text = '';
  for (const segment of path) text += segment.startsWith('[') || text === '' ? segment : `.${segment}`;
  return text;
}

// The path is a stack that the walk pushes to and pops from, and it becomes
// text only for an unknown field, because most bodies have none.
function walk(node: SchemaNode, value: unknown, path: string[], found: string[]): void {
  if (isFreeForm(node) || value === null || value === undefined) return;
  switch (node.ref.form) {
    case 'named':
      if (!isObject(value)) return;
      for (const key in value) {
        const childNode = fieldNode(node, key);
        if (!childNode) {
          const parent = pathText(path);
          found.push(parent ? `${parent}.${key}` : key);
          continue;
        }
        path.push(key);
        walk(childNode, value[key], path, found);
        path.pop();
      }
      return;
    case 'list': {
      const item = itemNode(node);
      if (!item || !Array.isArray(value)) return;
      for (let position = 0; position < value.length; position++) {
        path.push(`[${position}]`);
        walk(item, value[position], path, found);
        path.pop();
      }
      return;
    }
    case 'map': {
      const entry = valueNode(node);
      if (!entry || !isObject(value)) return;
      for (const key in value) {
        path.push(`[${key}]`);
        walk(entry, value[key], path, found);
        path.pop();
      }
      return;
    }
    case 'scalar':
      return;
  }
}

/** Returns the dotted paths of fields that the kind's schema does not define, such as spec.containers[0].foo. */
export function findUnknownFields(type: ResourceType, object: unknown): string[] {
  const found: string[] = [];
  walk(rootNode(typeOfResource(type)), object, [], found);
  return found;
}
