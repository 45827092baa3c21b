// Request bodies: read with a size limit, then decoded from JSON or YAML.
// Like kube-apiserver, a body over 3 MiB is 413 and a malformed one is 400,
// both as a Status.

import type { IncomingMessage } from 'node:http';
import * as yaml from 'js-yaml';
import { badRequest, requestEntityTooLarge, unsupportedMediaType } from '../errors.js';
import { decodeProtobuf } from './protobuf.js';

/** kube-apiserver's limit on request bodies: 3 MiB. */
export const maxBodyBytes = 3 * 1024 * 1024;

export const patchContentTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Returns the media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Reads the whole body, rejecting it with 413 as soon as it passes maxBodyBytes. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    request.resume();
    return Promise.reject(requestEntityTooLarge(`the request body of ${declared} bytes is larger than the limit of ${maxBodyBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        failed = true;
        reject(requestEntityTooLarge(`the request body is larger than the limit of ${maxBodyBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/** Decodes a JSON, YAML or protobuf body; an empty body decodes to undefined. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf' && body.length > 0) return decodeProtobuf(body);
  const text = body.toString('utf8');
  // A test for any non-space character stops at the first one, where trim() would copy the whole body.
  if (!/\S/.test(text)) return undefined;
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return yaml.load(text, { schema: yaml.JSON_SCHEMA });
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message}`);
    }
  }
  if (type === '' || type === 'application/json' || type === 'text/plain' || patchContentTypes.includes(type)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
    }
  }
  throw unsupportedMediaType(contentType ?? '');
}
