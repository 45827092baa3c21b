// A small protobuf encoder for tests: builds request bodies field by field,
// with the numbers written out in each test, as client-go would send them.

export type FieldValue = string | number | boolean | Buffer | Field[];
export type Field = [number: number, value: FieldValue];

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  while (rest > 0x7fn) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}

function encodeField([number, value]: Field): Buffer {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return Buffer.concat([varint(BigInt(number << 3)), varint(BigInt(Number(value)))]);
  }
  const payload = typeof value === 'string' ? Buffer.from(value) : Buffer.isBuffer(value) ? value : encodeMessage(value);
  return Buffer.concat([varint(BigInt((number << 3) | 2)), varint(BigInt(payload.length)), payload]);
}

/** Encodes the fields of one message in the order given. */
export function encodeMessage(fields: Field[]): Buffer {
  return Buffer.concat(fields.map(encodeField));
}

/** Wraps an object's message in the "k8s\0" + runtime.Unknown envelope. */
export function envelope(apiVersion: string, kind: string, object: Field[]): Buffer {
  const unknown = encodeMessage([[1, [[1, apiVersion], [2, kind]]], [2, encodeMessage(object)]]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

/** Builds a map<string, V> entry: key = 1, value = 2. */
export function mapEntry(key: string, value: string | Field[]): Field[] {
  return [[1, key], [2, value]];
}
