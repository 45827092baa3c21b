// Detection of fields the schema does not define, for the fieldValidation
// query parameter: Strict rejects them, Warn reports them, Ignore drops them.

import type { ResourceType } from '../../api/resources.js';
import { fieldNode, isFreeForm, itemNode, rootNode, typeOfResource, valueNode, type SchemaNode } from '../openapi/schema/index.js';
import { isObject } from './causes.js';

function walk(node: SchemaNode, value: unknown, path: string, found: string[]): void {
  if (isFreeForm(node) || value === null || value === undefined) return;
  switch (node.ref.form) {
    case 'named':
      if (!isObject(value)) return;
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        const childNode = fieldNode(node, key);
        if (!childNode) found.push(childPath);
        else walk(childNode, child, childPath, found);
      }
      return;
    case 'list': {
      const item = itemNode(node);
      if (!item || !Array.isArray(value)) return;
      value.forEach((element: unknown, position) => walk(item, element, `${path}[${position}]`, found));
      return;
    }
    case 'map': {
      const entry = valueNode(node);
      if (!entry || !isObject(value)) return;
      for (const [key, element] of Object.entries(value)) walk(entry, element, `${path}[${key}]`, found);
      return;
    }
    case 'scalar':
      return;
  }
}

/** Returns the dotted paths of fields that the kind's schema does not define, such as spec.containers[0].foo. */
export function findUnknownFields(type: ResourceType, object: unknown): string[] {
  const found: string[] = [];
  walk(rootNode(typeOfResource(type)), object, '', found);
  return found;
}
