// A decoder for the Kubernetes protobuf request encoding of the few kinds
// that kubectl 1.32 sends as protobuf: `kubectl create namespace` and
// `kubectl create deployment` use client-go typed clients, which encode
// built-in kinds as application/vnd.kubernetes.protobuf and do not fall back
// to JSON on 415. Responses stay JSON: those clients accept it.
//
// The envelope is the 4-byte magic "k8s\0" and a runtime.Unknown message
// (typeMeta = 1, raw = 2), and raw contains the object. Field numbers come from the
// generated.proto files of k8s.io/api and k8s.io/apimachinery (v1.32). A
// field this table does not know is rejected with 415 rather than dropped.

import { unsupportedMediaType } from '../errors.js';

type FieldKind = 'string' | 'int' | 'bool' | 'message' | 'map' | 'ignored';

interface Field {
  name: string;
  kind: FieldKind;
  /** A Go pointer field: zero is a real value. Other zero values mean "unset", since go-to-protobuf writes them anyway. */
  keepZero?: boolean;
  /** The message type, for kind 'message'; the value type of a map of messages is not needed here. */
  type?: string;
  repeated?: boolean;
  /** For maps: the value is a Quantity message rather than a string. */
  quantityValues?: boolean;
}

const f = (name: string, kind: FieldKind, type?: string, repeated = false): Field => ({ name, kind, type, repeated });
const pointer = (name: string): Field => ({ name, kind: 'int', keepZero: true });

const messages: Record<string, Record<number, Field>> = {
  Unknown: { 1: f('typeMeta', 'message', 'TypeMeta'), 2: f('raw', 'string'), 3: f('contentEncoding', 'string'), 4: f('contentType', 'string') },
  TypeMeta: { 1: f('apiVersion', 'string'), 2: f('kind', 'string') },
  ObjectMeta: {
    1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 5: f('uid', 'string'),
    6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'ignored'), 9: f('deletionTimestamp', 'ignored'),
    11: f('labels', 'map'), 12: f('annotations', 'map'),
    14: f('finalizers', 'string', undefined, true),
  },
  LabelSelector: { 1: f('matchLabels', 'map'), 2: f('matchExpressions', 'message', 'LabelSelectorRequirement', true) },
  LabelSelectorRequirement: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', undefined, true) },
  Namespace: { 1: f('metadata', 'message', 'ObjectMeta'), 2: f('spec', 'message', 'NamespaceSpec'), 3: f('status', 'message', 'Empty') },
  NamespaceSpec: { 1: f('finalizers', 'string', undefined, true) },
  Deployment: { 1: f('metadata', 'message', 'ObjectMeta'), 2: f('spec', 'message', 'DeploymentSpec'), 3: f('status', 'message', 'Empty') },
  DeploymentSpec: {
    1: pointer('replicas'), 2: f('selector', 'message', 'LabelSelector'), 3: f('template', 'message', 'PodTemplateSpec'),
    4: f('strategy', 'message', 'DeploymentStrategy'), 5: f('minReadySeconds', 'int'), 6: pointer('revisionHistoryLimit'),
    7: f('paused', 'bool'), 9: pointer('progressDeadlineSeconds'),
  },
  DeploymentStrategy: { 1: f('type', 'string') },
  PodTemplateSpec: { 1: f('metadata', 'message', 'ObjectMeta'), 2: f('spec', 'message', 'PodSpec') },
  PodSpec: {
    2: f('containers', 'message', 'Container', true), 3: f('restartPolicy', 'string'), 4: pointer('terminationGracePeriodSeconds'),
    6: f('dnsPolicy', 'string'), 7: f('nodeSelector', 'map'), 8: f('serviceAccountName', 'string'), 10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
  },
  Container: {
    1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', undefined, true), 4: f('args', 'string', undefined, true),
    5: f('workingDir', 'string'), 6: f('ports', 'message', 'ContainerPort', true), 7: f('env', 'message', 'EnvVar', true),
    8: f('resources', 'message', 'ResourceRequirements'), 14: f('imagePullPolicy', 'string'),
  },
  ContainerPort: { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  ResourceRequirements: { 1: { ...f('limits', 'map'), quantityValues: true }, 2: { ...f('requests', 'map'), quantityValues: true } },
  Quantity: { 1: f('string', 'string') },
  MapEntry: { 1: f('key', 'string'), 2: f('value', 'string') },
  Empty: {},
};

/** The kinds this decoder reads, by apiVersion/kind. */
const topLevel: Record<string, string> = { 'v1/Namespace': 'Namespace', 'apps/v1/Deployment': 'Deployment' };

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  position = 0;
  constructor(readonly bytes: Buffer, readonly end = bytes.length) {}

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.position >= this.end) throw new Error('truncated varint');
      const byte = this.bytes[this.position++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  slice(): Buffer {
    const length = Number(this.varint());
    if (this.position + length > this.end) throw new Error('truncated field');
    const value = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }
}

/** True when a length-delimited payload is empty or a message whose fields all hold zero values. */
function isZeroPayload(payload: Buffer): boolean {
  try {
    const reader = new Reader(payload);
    while (reader.position < reader.end) {
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
  if (!zero) throw new Error(`field ${number} of ${type} is not supported`);
}

function decodeMessage(bytes: Buffer, type: string): Record<string, unknown> {
  const schema = messages[type];
  const result: Record<string, unknown> = {};
  const reader = new Reader(bytes);
  while (reader.position < reader.end) {
    const tag = Number(reader.varint());
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = schema[number];
    if (!field) {
      skipUnknown(reader, type, number, wireType);
      continue;
    }
    let value: unknown;
    if (wireType === 0) {
      const raw = reader.varint();
      value = field.kind === 'bool' ? raw !== 0n : Number(BigInt.asIntN(64, raw));
      if (!field.keepZero && (value === 0 || value === false)) continue;
    } else if (wireType === 2) {
      const payload = reader.slice();
      if (field.kind === 'ignored') continue;
      if (field.kind === 'string') {
        value = field.name === 'raw' ? payload : payload.toString('utf8');
        if (value === '' && !field.repeated) continue;
      }
      else if (field.kind === 'message') value = decodeMessage(payload, field.type ?? 'Empty');
      else if (field.kind === 'map') {
        const entry = decodeMapEntry(payload, field.quantityValues === true);
        const map = (result[field.name] ?? {}) as Record<string, string>;
        map[entry.key] = entry.value;
        result[field.name] = map;
        continue;
      } else throw new Error(`field ${number} of ${type} has an unexpected wire type`);
    } else {
      throw new Error(`field ${number} of ${type} has unsupported wire type ${wireType}`);
    }
    if (field.repeated) ((result[field.name] ??= []) as unknown[]).push(value);
    else result[field.name] = value;
  }
  return result;
}

function decodeMapEntry(bytes: Buffer, quantityValues: boolean): { key: string; value: string } {
  const reader = new Reader(bytes);
  let key = '';
  let value = '';
  while (reader.position < reader.end) {
    const tag = Number(reader.varint());
    const payload = reader.slice();
    if (tag >>> 3 === 1) key = payload.toString('utf8');
    else if (tag >>> 3 === 2) value = quantityValues ? String(decodeMessage(payload, 'Quantity').string ?? '') : payload.toString('utf8');
  }
  return { key, value };
}

/** Decodes a protobuf request body into the JSON form of its object; 415 for anything it cannot read faithfully. */
export function decodeProtobuf(body: Buffer): unknown {
  if (body.length < magic.length || !body.subarray(0, magic.length).equals(magic)) {
    throw unsupportedMediaType('application/vnd.kubernetes.protobuf without the "k8s\\0" prefix');
  }
  try {
    const unknown = decodeMessage(body.subarray(magic.length), 'Unknown');
    const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const type = topLevel[`${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`];
    if (!type || !(unknown.raw instanceof Buffer)) throw new Error(`${typeMeta.apiVersion ?? ''} ${typeMeta.kind ?? ''} is not decoded from protobuf`);
    return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(unknown.raw, type) };
  } catch (error) {
    throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${(error as Error).message}; send JSON or YAML instead)`);
  }
}
