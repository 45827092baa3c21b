// The compact description of every served type. OpenAPI documents, JSON type
// checks, unknown field detection, strategic merge patch keys and server-side
// apply field sets all read it, so a field is described once.
//
// A field's type is written as a string:
//   string, integer (int32), int64, number, boolean   JSON scalars
//   Quantity, Time, MicroTime, IntOrString           Kubernetes scalar types
//   object                                           free-form JSON object; nothing under it is checked
//   Name                                             another described type, such as Container
//   []T                                              a list of T
//   {}T                                              a map from string keys to T

export type ListType = 'atomic' | 'set' | 'map';

export interface FieldSchema {
  type: string;
  description: string;
  /** x-kubernetes-patch-merge-key: the item key strategic merge patch merges a list by. */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy. */
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  /** x-kubernetes-list-type, for server-side apply; lists default to atomic. */
  listType?: ListType;
  /** x-kubernetes-list-map-keys, for list type map. */
  listMapKeys?: string[];
  enum?: string[];
}

export interface TypeSchema {
  /** The OpenAPI definition name, such as io.k8s.api.core.v1.Pod. */
  id: string;
  /** The short name fields refer to, such as Pod. */
  name: string;
  description: string;
  gvk?: { group: string; version: string; kind: string }[];
  required: string[];
  fields: Record<string, FieldSchema>;
  /** x-kubernetes-map-type atomic: server-side apply and merge patches replace it whole. */
  atomic?: boolean;
}

export const scalarTypes = new Set(['string', 'integer', 'int64', 'number', 'boolean', 'Quantity', 'Time', 'MicroTime', 'IntOrString', 'object']);

/** A field as written in a type description: [type, description, options]. */
export type FieldEntry = [string, string, Omit<FieldSchema, 'type' | 'description'>?];

export interface TypeEntry {
  description: string;
  required?: string[];
  kind?: string;
  atomic?: boolean;
  fields: Record<string, FieldEntry>;
}

/** Declares the types of one Go package, such as io.k8s.api.core.v1, in the compact form. */
export function definePackage(packageId: string, group: string | undefined, version: string,
  entries: Record<string, TypeEntry>): TypeSchema[] {
  return Object.entries(entries).map(([name, entry]) => ({
    id: `${packageId}.${name}`,
    name,
    description: entry.description,
    gvk: entry.kind !== undefined && group !== undefined ? [{ group, version, kind: entry.kind }] : undefined,
    required: entry.required ?? [],
    atomic: entry.atomic,
    fields: Object.fromEntries(Object.entries(entry.fields).map(([field, [type, description, options]]) =>
      [field, { type, description, ...options }])),
  }));
}

/** Options for a list merged by one key, as most lists of named items are. */
export function mergedBy(key: string, strategy: FieldSchema['patchStrategy'] = 'merge'): Omit<FieldSchema, 'type' | 'description'> {
  return { mergeKey: key, patchStrategy: strategy, listType: 'map', listMapKeys: [key] };
}

/** The parsed form of a field type string. */
export type TypeRef =
  | { form: 'scalar'; name: string }
  | { form: 'named'; name: string }
  | { form: 'list'; item: TypeRef }
  | { form: 'map'; value: TypeRef };

const parsedTypeRefs = new Map<string, TypeRef>();

/** Parses a field type string; the result is shared between calls, so callers must not change it. */
export function parseTypeRef(type: string): TypeRef {
  let ref = parsedTypeRefs.get(type);
  if (ref) return ref;
  if (type.startsWith('[]')) ref = { form: 'list', item: parseTypeRef(type.slice(2)) };
  else if (type.startsWith('{}')) ref = { form: 'map', value: parseTypeRef(type.slice(2)) };
  else ref = scalarTypes.has(type) ? { form: 'scalar', name: type } : { form: 'named', name: type };
  parsedTypeRefs.set(type, ref);
  return ref;
}
