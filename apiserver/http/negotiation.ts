// Content negotiation on the Accept header. tinykube responds in JSON, and as
// a meta.k8s.io Table when the client asks for one, as `kubectl get` does.

import type { ResourceType } from '../../api/resources.js';
import { apiVersionOf } from '../../api/resources.js';
import type { KubeObject, ListMeta } from '../../api/types.js';
import { badRequest } from '../errors.js';
import { convertToTable, type Table, type TableOptions } from '../table/index.js';

export type TableVersion = 'v1' | 'v1beta1';

export interface MediaRange {
  type: string;
  parameters: Record<string, string>;
}

/** Parses an Accept header into its media ranges, in the client's order of preference. */
export function parseAccept(header: string | undefined): MediaRange[] {
  return (header ?? '').split(',').map((entry) => {
    const [type, ...parameters] = entry.split(';').map((part) => part.trim());
    return {
      type: type.toLowerCase(),
      parameters: Object.fromEntries(parameters.map((parameter) => {
        const [key, value = ''] = parameter.split('=');
        return [key.trim(), value.trim()];
      })),
    };
  }).filter((range) => range.type !== '');
}

/** Returns the Table version the client prefers, or undefined when it takes plain objects first. */
export function requestedTableVersion(accept: string | undefined): TableVersion | undefined {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.parameters;
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1') && ['application/json', '*/*'].includes(range.type)) return v;
    // The first range tinykube can serve as plain JSON wins over any later Table range.
    if (!as && ['application/json', 'application/*', '*/*', 'application/yaml'].includes(range.type)) return undefined;
  }
  return undefined;
}

export function parseIncludeObject(value: string | null): TableOptions['includeObject'] {
  if (value === null || value === '') return undefined;
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`);
}

/** Converts objects to a Table of the requested version. */
export function toTable(type: ResourceType, objects: readonly KubeObject[], version: TableVersion, options: TableOptions): Table | (Omit<Table, 'apiVersion'> & { apiVersion: string }) {
  const table = convertToTable(type, objects, options);
  return version === 'v1' ? table : { ...table, apiVersion: 'meta.k8s.io/v1beta1' };
}

/**
 * Yields a list's JSON in pieces of about 64 items, built from the stored
 * JSON of the items without parsing them, so a LIST of thousands of objects
 * streams out without one giant string in memory.
 */
export function* listJsonChunks(type: ResourceType, items: readonly { json: string }[], metadata: ListMeta): Generator<string> {
  yield `{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(type))},"metadata":${JSON.stringify(metadata)},"items":[`;
  const piece = 64;
  for (let start = 0; start < items.length; start += piece) {
    const separator = start === 0 ? '' : ',';
    yield separator + items.slice(start, start + piece).map((item) => item.json).join(',');
  }
  yield ']}';
}

/** Builds a list's JSON from the stored JSON of its items, without parsing them. */
export function listJson(type: ResourceType, items: readonly { json: string }[], metadata: ListMeta): string {
  return `{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(type))},` +
    `"metadata":${JSON.stringify(metadata)},"items":[${items.map((item) => item.json).join(',')}]}`;
}
