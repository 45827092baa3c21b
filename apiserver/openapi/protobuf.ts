// The gnostic protobuf encoding (openapi.v2.Document of google/gnostic's
// OpenAPIv2.proto) of the Swagger 2.0 document. kubectl requests /openapi/v2
// only in this encoding, with Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf.
// Only what `kubectl explain` reads is encoded: the title and version, and every
// definition with its properties, references, types and x-kubernetes
// extensions. Paths are left out.

import * as yaml from 'js-yaml';
import type { JsonSchema } from './definitions.js';

/** The media type kubectl puts in the Accept header of /openapi/v2. */
export const openapiV2ProtobufMediaType = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** The Content-Type of the protobuf response; Go's MIME parser rejects the '@' of the requested form. */
export const openapiV2ProtobufContentType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Encodes a length-delimited field (wire type 2): strings, bytes and nested messages. */
function bytesField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

function stringField(field: number, value: unknown): Buffer[] {
  return typeof value === 'string' && value !== '' ? [bytesField(field, Buffer.from(value, 'utf8'))] : [];
}

function messageField(field: number, parts: Buffer[]): Buffer {
  return bytesField(field, Buffer.concat(parts));
}

/** Encodes a value as an openapi.v2.Any, which carries it as YAML text in field 2. */
function anyMessage(value: unknown): Buffer[] {
  return stringField(2, yaml.dump(value, { flowLevel: -1 }));
}

function namedAny(field: number, name: string, value: unknown): Buffer {
  return messageField(field, [...stringField(1, name), messageField(2, anyMessage(value))]);
}

// Field numbers of openapi.v2.Schema.
const schemaFields = { ref: 1, format: 2, description: 4, required: 19, enum: 20, additionalProperties: 21, type: 22, items: 23, properties: 25, vendorExtension: 31 };

function schemaMessage(schema: JsonSchema): Buffer[] {
  const parts: Buffer[] = [
    ...stringField(schemaFields.ref, schema.$ref),
    ...stringField(schemaFields.format, schema.format),
    ...stringField(schemaFields.description, schema.description),
  ];
  for (const name of Array.isArray(schema.required) ? schema.required : []) parts.push(...stringField(schemaFields.required, name));
  for (const value of Array.isArray(schema.enum) ? schema.enum : []) parts.push(messageField(schemaFields.enum, anyMessage(value)));
  if (isSchema(schema.additionalProperties)) {
    parts.push(messageField(schemaFields.additionalProperties, [messageField(1, schemaMessage(schema.additionalProperties))]));
  }
  if (typeof schema.type === 'string') parts.push(messageField(schemaFields.type, stringField(1, schema.type)));
  if (isSchema(schema.items)) parts.push(messageField(schemaFields.items, [messageField(1, schemaMessage(schema.items))]));
  if (isSchema(schema.properties)) {
    const properties = Object.entries(schema.properties).filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
      .map(([name, property]) => messageField(1, [...stringField(1, name), messageField(2, schemaMessage(property))]));
    parts.push(messageField(schemaFields.properties, properties));
  }
  for (const [name, value] of Object.entries(schema)) {
    if (name.startsWith('x-')) parts.push(namedAny(schemaFields.vendorExtension, name, value));
  }
  return parts;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodes the title, version and definitions of a Swagger 2.0 document as an openapi.v2.Document. */
export function encodeOpenapiV2(document: { swagger?: unknown; info?: unknown; definitions?: unknown }): Buffer {
  const info = isSchema(document.info) ? document.info : {};
  const definitions = isSchema(document.definitions) ? document.definitions : {};
  const namedSchemas = Object.entries(definitions).filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
    .map(([name, schema]) => messageField(1, [...stringField(1, name), messageField(2, schemaMessage(schema))]));
  return Buffer.concat([
    ...stringField(1, document.swagger),
    messageField(2, [...stringField(1, info.title), ...stringField(2, info.version)]),
    messageField(8, []),
    messageField(9, namedSchemas),
  ]);
}
