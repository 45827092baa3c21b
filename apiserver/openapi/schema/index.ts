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

const typesByKind = new Map<string, TypeSchema | undefined>();

/** Returns the schema of a kind served under a group, such as ('apps', 'Deployment'). */
export function typeOfKind(group: string, kind: string): TypeSchema | undefined {
  const key = `${group}/${kind}`;
  if (!typesByKind.has(key)) typesByKind.set(key, allTypes.find((type) => type.gvk?.some((gvk) => gvk.group === group && gvk.kind === kind)));
  return typesByKind.get(key);
}

export function typeOfResource(resource: ResourceType): TypeSchema {
  const type = typeOfKind(resource.group, resource.kind);
  if (!type) throw new Error(`schema: no type for kind ${resource.kind}`);
  return type;
}

// Nodes are built once and shared, because every request walks the same
// schema tree; callers must not change them.
const fieldNodes = new Map<string, Map<string, SchemaNode | undefined>>();
const elementNodes = new WeakMap<TypeRef, SchemaNode>();
const rootNodes = new WeakMap<TypeSchema, SchemaNode>();

function elementNodeOf(ref: TypeRef): SchemaNode {
  let node = elementNodes.get(ref);
  if (!node) elementNodes.set(ref, (node = { ref }));
  return node;
}

/** A node of the schema tree, as walked along an object: a type reference plus the field that holds it. */
export interface SchemaNode {
  ref: TypeRef;
  field?: FieldSchema;
}

export function rootNode(type: TypeSchema): SchemaNode {
  let node = rootNodes.get(type);
  if (!node) rootNodes.set(type, (node = { ref: { form: 'named', name: type.name } }));
  return node;
}

/** Returns the node of a struct field, or undefined when the struct has no such field or the node is not a struct. */
export function fieldNode(node: SchemaNode, key: string): SchemaNode | undefined {
  if (node.ref.form !== 'named') return undefined;
  let fields = fieldNodes.get(node.ref.name);
  if (!fields) fieldNodes.set(node.ref.name, (fields = new Map()));
  if (fields.has(key)) return fields.get(key);
  // Own properties only, so a key such as "constructor" is not mistaken for a field.
  const structFields = typeNamed(node.ref.name).fields;
  const field = Object.hasOwn(structFields, key) ? structFields[key] : undefined;
  const child = field ? { ref: parseTypeRef(field.type), field } : undefined;
  // Unknown keys come from request bodies, so only known fields are remembered, which bounds the cache.
  if (child) fields.set(key, child);
  return child;
}

/** Returns the node of list items, keeping the list's field for its merge key and list type. */
export function itemNode(node: SchemaNode): SchemaNode | undefined {
  if (node.ref.form === 'list') return elementNodeOf(node.ref.item);
  return undefined;
}

/** Returns the node of map values. */
export function valueNode(node: SchemaNode): SchemaNode | undefined {
  if (node.ref.form === 'map') return elementNodeOf(node.ref.value);
  return undefined;
}

/** True for nodes whose content is not described, so anything goes under them. */
export function isFreeForm(node: SchemaNode): boolean {
  return node.ref.form === 'scalar' && node.ref.name === 'object';
}

export function isAtomicStruct(node: SchemaNode): boolean {
  return node.ref.form === 'named' && typeNamed(node.ref.name).atomic === true;
}
