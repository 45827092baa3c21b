// A decoder for the Kubernetes protobuf request encoding
// (application/vnd.kubernetes.protobuf). client-go's typed clients send it:
// `kubectl create namespace` and `kubectl create deployment` among the
// kubectl 1.32 commands, and programs built on client-go for any kind. They
// do not fall back to JSON on 415, so every served kind decodes here.
// Responses stay JSON, which those clients accept.
//
// The envelope is the 4-byte magic "k8s\0" and a runtime.Unknown message
// whose typeMeta names the kind and whose raw field contains the object. The
// field numbers are in protobuf-messages.ts. A field the table does not know
// is rejected with 415 unless its value is zero, rather than dropped.

import { unsupportedMediaType } from '../errors.js';
import { messageDefinitions, topLevelMessages } from './protobuf-messages.js';

const scalarTypes = ['string', 'int', 'bool', 'bytes', 'map', 'quantities', 'Quantity', 'Time', 'MicroTime', 'IntOrString', 'FieldsV1'] as const;
type ScalarType = typeof scalarTypes[number];

interface Field {
  name: string;
  /** A scalar type, or the name of another message. */
  type: ScalarType | string;
  repeated: boolean;
  /** Keep zero values: the Go field is a pointer, or JSON always carries it. */
  keepZero: boolean;
  /** A Go embedded struct: its fields go into the parent object. */
  inline: boolean;
}

type MessageSchema = ReadonlyMap<number, Field>;

function parseDefinition(message: string, definition: string): MessageSchema {
  const fields = new Map<number, Field>();
  for (const entry of definition.split(';')) {
    const match = /^\s*(\d+) (\.\.\.)?(\w+) (\*)?(\w+)(\[\])?\s*$/.exec(entry);
    if (!match) throw new Error(`protobuf table: invalid field "${entry}" in ${message}`);
    const [, number, inline, name, pointer, type, repeated] = match;
    if (!scalarTypes.includes(type as ScalarType) && !(type in messageDefinitions)) {
      throw new Error(`protobuf table: field ${name} of ${message} has unknown type ${type}`);
    }
    fields.set(Number(number), { name, type, repeated: repeated !== undefined, keepZero: pointer !== undefined, inline: inline !== undefined });
  }
  return fields;
}

const schemas = new Map(Object.entries(messageDefinitions).map(([name, definition]) => [name, parseDefinition(name, definition)]));

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  position = 0;
  constructor(readonly bytes: Buffer) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.position >= this.bytes.length) throw new Error('truncated varint');
      const byte = this.bytes[this.position++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  slice(): Buffer {
    const length = Number(this.varint());
    if (this.position + length > this.bytes.length) throw new Error('truncated field');
    const value = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }

  /** Skips a field of a wire type that this table never uses (fixed 32 or 64 bits). */
  skipFixed(wireType: number): void {
    if (wireType === 1) this.position += 8;
    else if (wireType === 5) this.position += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
    if (this.position > this.bytes.length) throw new Error('truncated field');
  }
}

/** True when a length-delimited payload is empty or a message whose fields all hold zero values. */
function isZeroPayload(payload: Buffer): boolean {
  try {
    const reader = new Reader(payload);
    while (!reader.done) {
      const wireType = Number(reader.varint()) & 7;
      if (wireType === 0) {
        if (reader.varint() !== 0n) return false;
      } else if (wireType === 2) {
        if (!isZeroPayload(reader.slice())) return false;
      } else {
        return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

function skipUnknown(reader: Reader, type: string, number: number, wireType: number): void {
  let zero = false;
  if (wireType === 0) zero = reader.varint() === 0n;
  else if (wireType === 2) zero = isZeroPayload(reader.slice());
  else reader.skipFixed(wireType);
  if (!zero) throw new Error(`field ${number} of ${type} is not supported`);
}

/** Reads one map entry (key = 1, value = 2); quantity maps carry Quantity messages as values. */
function decodeMapEntry(bytes: Buffer, quantityValues: boolean): [string, string] {
  const reader = new Reader(bytes);
  let key = '';
  let value = '';
  while (!reader.done) {
    const tag = Number(reader.varint());
    if ((tag & 7) !== 2) throw new Error('map entry has an unexpected wire type');
    const payload = reader.slice();
    if (tag >>> 3 === 1) key = payload.toString('utf8');
    else if (tag >>> 3 === 2) value = quantityValues ? decodeQuantity(payload) : payload.toString('utf8');
  }
  return [key, value];
}

/** Reads the varint and length-delimited fields of a small message by number. */
function rawFields(bytes: Buffer): Map<number, bigint | Buffer> {
  const fields = new Map<number, bigint | Buffer>();
  const reader = new Reader(bytes);
  while (!reader.done) {
    const tag = Number(reader.varint());
    const wireType = tag & 7;
    if (wireType === 0) fields.set(tag >>> 3, reader.varint());
    else if (wireType === 2) fields.set(tag >>> 3, reader.slice());
    else reader.skipFixed(wireType);
  }
  return fields;
}

function decodeQuantity(bytes: Buffer): string {
  const text = rawFields(bytes).get(1);
  return text instanceof Buffer ? text.toString('utf8') : '';
}

/**
 * Formats a Time (seconds = 1, nanos = 2) as RFC 3339: seconds for Time,
 * microseconds for MicroTime. The zero time is null, as Go's JSON encoder
 * writes it; a nil pointer never reaches here because it is not on the wire.
 */
function decodeTime(bytes: Buffer, micro: boolean): string | null {
  const fields = rawFields(bytes);
  const seconds = fields.get(1);
  const nanos = fields.get(2);
  const secondsValue = typeof seconds === 'bigint' ? Number(BigInt.asIntN(64, seconds)) : 0;
  const nanosValue = typeof nanos === 'bigint' ? Number(BigInt.asIntN(32, nanos)) : 0;
  if (secondsValue === 0 && nanosValue === 0) return null;
  const whole = new Date(secondsValue * 1000).toISOString().slice(0, 19);
  if (!micro) return `${whole}Z`;
  return `${whole}.${String(Math.floor(nanosValue / 1000)).padStart(6, '0')}Z`;
}

/** Decodes an IntOrString (type = 1, intVal = 2, strVal = 3) to a number or a string. */
function decodeIntOrString(bytes: Buffer): number | string {
  const fields = rawFields(bytes);
  const kind = fields.get(1);
  const text = fields.get(3);
  if (kind === 1n) return text instanceof Buffer ? text.toString('utf8') : '';
  const number = fields.get(2);
  return typeof number === 'bigint' ? Number(BigInt.asIntN(32, number)) : 0;
}

/** Decodes a FieldsV1 (Raw = 1), whose bytes are the JSON of the field set. */
function decodeFieldsV1(bytes: Buffer): unknown {
  const raw = rawFields(bytes).get(1);
  return raw instanceof Buffer && raw.length > 0 ? JSON.parse(raw.toString('utf8')) as unknown : {};
}

function varintValue(field: Field, raw: bigint): number | boolean {
  return field.type === 'bool' ? raw !== 0n : Number(BigInt.asIntN(64, raw));
}

/** Decodes a length-delimited value; undefined means "leave the field out". */
function decodeDelimited(field: Field, payload: Buffer): unknown {
  switch (field.type) {
    case 'string':
      return payload.toString('utf8');
    case 'bytes':
      return payload;
    case 'Quantity':
      return decodeQuantity(payload);
    case 'Time':
      return decodeTime(payload, false);
    case 'MicroTime':
      return decodeTime(payload, true);
    case 'IntOrString':
      return decodeIntOrString(payload);
    case 'FieldsV1':
      return decodeFieldsV1(payload);
    case 'int':
    case 'bool':
      throw new Error(`field ${field.name} is packed, which only repeated fields may be`);
    default:
      return decodeMessage(payload, field.type);
  }
}

function isZero(value: unknown): boolean {
  return value === 0 || value === false || value === '';
}

/** Stores one decoded value, dropping zero values of fields that JSON would omit. */
function setField(result: Record<string, unknown>, field: Field, value: unknown): void {
  if (value === undefined) return;
  if (field.repeated) {
    ((result[field.name] ??= []) as unknown[]).push(value);
    return;
  }
  if (!field.keepZero && isZero(value)) return;
  if (field.inline && typeof value === 'object' && value !== null) Object.assign(result, value);
  else result[field.name] = value;
}

function decodeMessage(bytes: Buffer, type: string): Record<string, unknown> {
  const schema = schemas.get(type);
  if (!schema) throw new Error(`no protobuf message ${type}`);
  const result: Record<string, unknown> = {};
  const reader = new Reader(bytes);
  while (!reader.done) {
    const tag = Number(reader.varint());
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = schema.get(number);
    if (!field) {
      skipUnknown(reader, type, number, wireType);
      continue;
    }
    if (wireType === 0) {
      if (field.type !== 'int' && field.type !== 'bool') throw new Error(`field ${field.name} of ${type} has an unexpected wire type`);
      setField(result, field, varintValue(field, reader.varint()));
    } else if (wireType === 2) {
      const payload = reader.slice();
      if (field.type === 'map' || field.type === 'quantities') {
        const [key, value] = decodeMapEntry(payload, field.type === 'quantities');
        ((result[field.name] ??= {}) as Record<string, string>)[key] = value;
      } else if (field.repeated && (field.type === 'int' || field.type === 'bool')) {
        // A packed repeated scalar: one varint after another.
        const packed = new Reader(payload);
        while (!packed.done) setField(result, field, varintValue(field, packed.varint()));
      } else {
        setField(result, field, decodeDelimited(field, payload));
      }
    } else {
      throw new Error(`field ${field.name} of ${type} has unsupported wire type ${wireType}`);
    }
  }
  return result;
}

/** Decodes a protobuf request body into the JSON form of its object; 415 for anything it cannot read faithfully. */
export function decodeProtobuf(body: Buffer): unknown {
  if (body.length < magic.length || !body.subarray(0, magic.length).equals(magic)) {
    throw unsupportedMediaType('application/vnd.kubernetes.protobuf without the "k8s\\0" prefix');
  }
  try {
    const unknown = decodeMessage(body.subarray(magic.length), 'Unknown');
    const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const apiVersion = typeMeta.apiVersion ?? '';
    const kind = typeMeta.kind ?? '';
    const type = topLevelMessages[`${apiVersion}/${kind}`] ?? (kind === 'DeleteOptions' ? topLevelMessages.DeleteOptions : undefined);
    if (!type) throw new Error(`${apiVersion} ${kind} is not decoded from protobuf`);
    if (unknown.contentEncoding) throw new Error(`content encoding ${String(unknown.contentEncoding)} is not supported`);
    const raw = unknown.raw instanceof Buffer ? unknown.raw : Buffer.alloc(0);
    return { apiVersion, kind, ...decodeMessage(raw, type) };
  } catch (error) {
    throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${(error as Error).message}; send JSON or YAML instead)`);
  }
}
