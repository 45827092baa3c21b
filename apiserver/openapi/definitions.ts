// Converts the compact type description into OpenAPI schemas, in the two
// dialects Kubernetes serves: Swagger 2.0 (/openapi/v2) and OpenAPI 3.0
// (/openapi/v3), whose references differ in prefix and in how a reference
// carries a description.

import { allTypes, parseTypeRef, typeNamed, type FieldSchema, type TypeRef, type TypeSchema } from './schema/index.js';

export type Dialect = 'v2' | 'v3';
export type JsonSchema = Record<string, unknown>;

const quantityId = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const timeId = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const microTimeId = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';
const intOrStringId = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Returns the schemas of the scalar types that have their own definitions, named as kube-apiserver names them. */
function scalarDefinitions(dialect: Dialect): Record<string, JsonSchema> {
  return {
    [quantityId]: {
      description: 'A fixed-point number with an optional suffix, such as 500m, 1.5, 128Mi or 1e3. Binary suffixes are Ki, Mi, Gi, Ti, Pi and Ei; decimal ones are n, u, m, k, M, G, T, P and E.',
      ...(dialect === 'v3' ? { oneOf: [{ type: 'string' }, { type: 'number' }] } : { type: 'string' }),
    },
    [timeId]: { description: 'A timestamp in RFC 3339 form, at second precision.', type: 'string', format: 'date-time' },
    [microTimeId]: { description: 'A timestamp in RFC 3339 form, at microsecond precision.', type: 'string', format: 'date-time' },
    [intOrStringId]: {
      description: 'An integer or a string, such as 3 or 25%.',
      ...(dialect === 'v3' ? { oneOf: [{ type: 'integer' }, { type: 'string' }] } : { type: 'string', format: 'int-or-string' }),
    },
  };
}

function refPrefix(dialect: Dialect): string {
  return dialect === 'v2' ? '#/definitions/' : '#/components/schemas/';
}

const scalarRefs: Record<string, string> = { Quantity: quantityId, Time: timeId, MicroTime: microTimeId, IntOrString: intOrStringId };

/** Returns the schema of a type reference, without description. */
function refSchema(ref: TypeRef, dialect: Dialect): JsonSchema {
  switch (ref.form) {
    case 'list':
      return { type: 'array', items: wrapDefault(refSchema(ref.item, dialect), ref.item, dialect) };
    case 'map':
      return { type: 'object', additionalProperties: wrapDefault(refSchema(ref.value, dialect), ref.value, dialect) };
    case 'named':
      return { $ref: refPrefix(dialect) + typeNamed(ref.name).id };
    case 'scalar':
      return scalarSchema(ref.name, dialect);
  }
}

function scalarSchema(name: string, dialect: Dialect): JsonSchema {
  if (name in scalarRefs) return { $ref: refPrefix(dialect) + scalarRefs[name] };
  switch (name) {
    case 'integer': return { type: 'integer', format: 'int32' };
    case 'int64': return { type: 'integer', format: 'int64' };
    case 'number': return { type: 'number', format: 'double' };
    case 'boolean': return { type: 'boolean' };
    case 'object': return dialect === 'v3' ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : { type: 'object' };
    default: return { type: 'string' };
  }
}

// OpenAPI 3.0 ignores siblings of $ref, so kube-apiserver wraps a described
// reference in allOf; items and map values carry an empty default as well.
function wrapDefault(schema: JsonSchema, ref: TypeRef, dialect: Dialect): JsonSchema {
  if (dialect === 'v3' && ref.form === 'named') return { allOf: [schema], default: {} };
  return schema;
}

function fieldSchema(field: FieldSchema, dialect: Dialect): JsonSchema {
  const ref = parseTypeRef(field.type);
  let schema = refSchema(ref, dialect);
  if (dialect === 'v3' && '$ref' in schema) schema = ref.form === 'named' ? { allOf: [schema], default: {} } : { allOf: [schema] };
  const result: JsonSchema = { description: field.description, ...schema };
  if (field.enum) result.enum = field.enum;
  if (ref.form === 'list') result['x-kubernetes-list-type'] = field.listType ?? 'atomic';
  if (field.listMapKeys) result['x-kubernetes-list-map-keys'] = field.listMapKeys;
  if (field.mergeKey) result['x-kubernetes-patch-merge-key'] = field.mergeKey;
  if (field.patchStrategy) result['x-kubernetes-patch-strategy'] = field.patchStrategy;
  return result;
}

export function typeSchema(type: TypeSchema, dialect: Dialect): JsonSchema {
  const schema: JsonSchema = {
    description: type.description,
    type: 'object',
    properties: Object.fromEntries(Object.entries(type.fields).map(([name, field]) => [name, fieldSchema(field, dialect)])),
  };
  if (type.required.length > 0) schema.required = type.required;
  if (type.gvk) schema['x-kubernetes-group-version-kind'] = type.gvk;
  if (type.atomic) schema['x-kubernetes-map-type'] = 'atomic';
  return schema;
}

/** Returns the definitions of the given types and of every type they refer to, keyed by definition id. */
export function definitionsFor(roots: readonly TypeSchema[], dialect: Dialect): Record<string, JsonSchema> {
  const scalars = scalarDefinitions(dialect);
  const result: Record<string, JsonSchema> = {};
  const visit = (ref: TypeRef): void => {
    if (ref.form === 'list') return visit(ref.item);
    if (ref.form === 'map') return visit(ref.value);
    if (ref.form === 'scalar') {
      const id = scalarRefs[ref.name];
      if (id) result[id] = scalars[id];
      return;
    }
    const type = typeNamed(ref.name);
    if (type.id in result) return;
    result[type.id] = typeSchema(type, dialect);
    for (const field of Object.values(type.fields)) visit(parseTypeRef(field.type));
  };
  for (const root of roots) visit({ form: 'named', name: root.name });
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

export function allDefinitions(dialect: Dialect): Record<string, JsonSchema> {
  return definitionsFor(allTypes, dialect);
}
