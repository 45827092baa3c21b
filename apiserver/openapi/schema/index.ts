// Lookup over every described type, by short name and by kind.

import type { ResourceType } from '../../../api/resources.js';
import { appsTypes, autoscalingTypes, coordinationTypes, policyTypes } from './apps.js';
import { coreTypes } from './core.js';
import { metaTypes } from './meta.js';
import { parseTypeRef, type FieldSchema, type TypeRef, type TypeSchema } from './model.js';

export * from './model.js';

export const allTypes: readonly TypeSchema[] = [...metaTypes, ...coreTypes, ...appsTypes, ...autoscalingTypes, ...coordinationTypes, ...policyTypes];

const byName = new Map(allTypes.map((type) => [type.name, type]));

export function typeNamed(name: string): TypeSchema {
  const type = byName.get(name);
  if (!type) throw new Error(`schema: no type named ${name}`);
  return type;
}

/** Returns the schema of a kind served under a group, such as ('apps', 'Deployment'). */
export function typeOfKind(group: string, kind: string): TypeSchema | undefined {
  return allTypes.find((type) => type.gvk?.some((gvk) => gvk.group === group && gvk.kind === kind));
}

export function typeOfResource(resource: ResourceType): TypeSchema {
  const type = typeOfKind(resource.group, resource.kind);
  if (!type) throw new Error(`schema: no type for kind ${resource.kind}`);
  return type;
}

/** A node of the schema tree, as walked along an object: a type reference plus the field that holds it. */
export interface SchemaNode {
  ref: TypeRef;
  field?: FieldSchema;
}

export function rootNode(type: TypeSchema): SchemaNode {
  return { ref: { form: 'named', name: type.name } };
}

/** Returns the node of a struct field, or undefined when the struct has no such field or the node is not a struct. */
export function fieldNode(node: SchemaNode, key: string): SchemaNode | undefined {
  if (node.ref.form !== 'named') return undefined;
  const field = typeNamed(node.ref.name).fields[key];
  return field ? { ref: parseTypeRef(field.type), field } : undefined;
}

/** Returns the node of list items, keeping the list's field for its merge key and list type. */
export function itemNode(node: SchemaNode): SchemaNode | undefined {
  if (node.ref.form === 'list') return { ref: node.ref.item };
  return undefined;
}

/** Returns the node of map values. */
export function valueNode(node: SchemaNode): SchemaNode | undefined {
  if (node.ref.form === 'map') return { ref: node.ref.value };
  return undefined;
}

/** True for nodes whose content is not described, so anything goes under them. */
export function isFreeForm(node: SchemaNode): boolean {
  return node.ref.form === 'scalar' && node.ref.name === 'object';
}

export function isAtomicStruct(node: SchemaNode): boolean {
  return node.ref.form === 'named' && typeNamed(node.ref.name).atomic === true;
}
