// PATCH request bodies in the four formats kube-apiserver accepts, and the
// managedFields bookkeeping of writes.

import * as yaml from 'js-yaml';
import { apiVersionOf, type ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { badRequest, notFound, unsupportedMediaType } from '../errors.js';
import { rootNode, typeOfKind, typeOfResource, type TypeSchema } from '../openapi/schema/index.js';
import { clone, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { applyJsonPatch } from './json-patch.js';
import { recordUpdate } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { serverSideApply } from './server-side-apply.js';
import { applyStrategicMergePatch } from './strategic-merge.js';

export { FieldSet, fromFieldsV1, toFieldsV1 } from './fieldset.js';

export interface PatchOptions {
  fieldManager: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
  /** Returns a copy of current for the patch types that change their target, when the caller has a cheaper way than cloning. */
  copy?: () => KubeObject;
  /** The body already parsed as JSON, for a patch type other than apply. It is parsed for this one patch, so the result may share its values. */
  parsedBody?: unknown;
}

function parseJson(body: string, format: string, parsed: unknown): unknown {
  if (parsed !== undefined) return parsed;
  try {
    return JSON.parse(body);
  } catch (error) {
    throw badRequest(`error decoding ${format} patch: ${(error as Error).message}`);
  }
}

function parseApplyBody(body: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = yaml.load(body);
  } catch (error) {
    throw badRequest(`error decoding YAML: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw badRequest('an apply patch must be a YAML or JSON object');
  return parsed;
}

/** Returns the schema of the patched document: the kind's own, or Scale for the scale subresource. */
function schemaOf(type: ResourceType, subresource: string | undefined): TypeSchema {
  if (subresource === 'scale') return typeOfKind('autoscaling', 'Scale') ?? typeOfResource(type);
  return typeOfResource(type);
}

function resourceName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

function checkAppliedKind(type: ResourceType, applied: JsonObject, subresource: string | undefined): void {
  const expectedVersion = subresource === 'scale' ? 'autoscaling/v1' : apiVersionOf(type);
  const expectedKind = subresource === 'scale' ? 'Scale' : type.kind;
  if (typeof applied.apiVersion !== 'string' || typeof applied.kind !== 'string' || applied.apiVersion === '' || applied.kind === '') {
    throw badRequest(`apiVersion and kind must be set in an apply patch; expected apiVersion "${expectedVersion}" and kind "${expectedKind}"`);
  }
  if (applied.apiVersion !== expectedVersion || applied.kind !== expectedKind) {
    throw badRequest(`the apply patch is for ${applied.apiVersion}, Kind=${applied.kind}, but this endpoint serves ${expectedVersion}, Kind=${expectedKind}`);
  }
}

function asObject(result: JsonValue, contentType: string): KubeObject {
  if (!isJsonObject(result)) throw badRequest(`the ${contentType} patch produced a ${Array.isArray(result) ? 'list' : typeof result}, not an object`);
  if (!isJsonObject(result.metadata)) result.metadata = {};
  return result as unknown as KubeObject;
}

/**
 * Applies a PATCH body of the given content type to current and returns the
 * new object. current is undefined only for server-side apply of a new
 * object. Throws StatusError (400, 409, 415, 422) for a bad patch.
 */
export function applyPatch(type: ResourceType, current: KubeObject | undefined, body: string, contentType: string,
  options: PatchOptions): KubeObject {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  const schema = schemaOf(type, options.subresource);

  if (mediaType === 'application/apply-patch+yaml') {
    const applied = parseApplyBody(body);
    checkAppliedKind(type, applied, options.subresource);
    return serverSideApply({
      type: schema, apiVersion: String(applied.apiVersion), resource: resourceName(type), current, applied,
      manager: options.fieldManager, force: options.force === true, subresource: options.subresource,
    });
  }

  if (!current) throw notFound({ resource: resourceName(type).split('.')[0], group: type.group || undefined, name: '' });
  // A merge patch builds new objects along the paths it sets and changes nothing in current, so it needs no copy.
  if (mediaType === 'application/merge-patch+json') {
    return asObject(applyMergePatch(current as unknown as JsonValue, parseJson(body, 'merge', options.parsedBody) as JsonValue), mediaType);
  }
  const document = (options.copy ? options.copy() : clone(current)) as unknown as JsonValue;
  switch (mediaType) {
    case 'application/json-patch+json':
      return asObject(applyJsonPatch(document, parseJson(body, 'json', options.parsedBody)), mediaType);
    case 'application/strategic-merge-patch+json':
      return asObject(applyStrategicMergePatch(document, parseJson(body, 'strategic merge', options.parsedBody), rootNode(schema)), mediaType);
    default:
      throw unsupportedMediaType(contentType);
  }
}

/** Records the fields that an Update operation of manager changed in metadata.managedFields. */
export function updateManagedFields(old: KubeObject | undefined, object: KubeObject, manager: string, subresource?: string): void {
  const apiVersion = object.apiVersion ?? old?.apiVersion ?? '';
  const kind = object.kind ?? old?.kind ?? '';
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const schema = typeOfKind(group, kind);
  if (!schema || typeof object.metadata !== 'object' || object.metadata === null) return;
  // An object created by server-side apply already records its applier's fields as an Apply operation.
  const createdByApply = !old && (object.metadata.managedFields ?? []).some((entry) => entry.manager === manager && entry.operation === 'Apply');
  if (createdByApply) return;
  recordUpdate(schema, apiVersion, old, object, manager, subresource);
}
