// The generic registry behind every served resource, after kube-apiserver's
// generic Store: it turns REST verbs into storage operations, applying the
// per-kind strategy, defaulting, validation, managed fields and namespace
// lifecycle checks on the way.

import { apiVersionOf, namespaces, type ResourceType } from '../../api/resources.js';
import { parseSelector, SelectorError } from '../../api/labels.js';
import type { KubeObject } from '../../api/types.js';
import { applyDefaults, defaultDefaultingOptions, type DefaultingOptions } from '../defaults.js';
import { alreadyExists, badRequest, conflict, forbidden, gone, invalid, notFound, StatusError } from '../errors.js';
import { applyPatch, updateManagedFields } from '../patch/index.js';
import { StorageError, type Storage, type StoredValue } from '../storage/interface.js';
import { validateObject } from '../validation/index.js';
import { parseFieldSelector } from './fields.js';
import { collectionPrefix, objectKey } from './keys.js';
import { checkPathSegmentName, generateName, initializeMetadata, keepSystemMetadata } from './metadata.js';
import {
  allowsCreateOnUpdate, hasStatusSubresource, prepareForCreate, prepareForStatusUpdate, prepareForUpdate,
  shouldDeleteAfterUpdate, tracksGeneration,
} from './strategy.js';
import { handleUnknownFields, type FieldValidation } from './unknown-fields.js';

type Mutable = KubeObject & { spec?: unknown; status?: unknown };

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  /** Filled with the warnings to send in Warning headers. */
  warnings: string[];
}

export interface UpdateOptions extends WriteOptions {
  subresource?: 'status';
}

export interface PatchOptions extends WriteOptions {
  contentType: string;
  force: boolean;
  subresource?: 'status';
  /** The body of a JSON patch type as the handler already parsed it, so that it is not parsed twice. */
  parsedBody?: unknown;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListPage {
  items: StoredValue[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteResult {
  value: StoredValue;
  /** True when a create made the object, for 201 Created. */
  created: boolean;
}

/** Target of error messages: `pods`, or `deployments.apps` with group. */
export function target(type: ResourceType, name?: string) {
  return { resource: type.plural, group: type.group || undefined, name };
}

/** Translates storage errors into the Status errors kube-apiserver returns. */
export function storageFailure(type: ResourceType, name: string | undefined, error: unknown): unknown {
  if (!(error instanceof StorageError)) return error;
  switch (error.code) {
    case 'NotFound':
      return notFound(target(type, name));
    case 'AlreadyExists':
      return alreadyExists(target(type, name));
    case 'Conflict':
      return conflict(target(type, name), 'the object has been modified; please apply your changes to the latest version and try again');
    default:
      return error;
  }
}

function parseJson(json: string): Mutable {
  return JSON.parse(json) as Mutable;
}

function dryRunValue(key: string, object: KubeObject): StoredValue {
  return { key, json: JSON.stringify(object), revision: Number(object.metadata.resourceVersion ?? 0), attributes: { labels: undefined, fields: {} } };
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export class Registry {
  constructor(readonly storage: Storage, readonly defaulting: DefaultingOptions = defaultDefaultingOptions) {}

  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<StoredValue> {
    checkPathSegmentName(type, name);
    const value = await this.storage.get(objectKey(type, namespace, name));
    if (!value) throw notFound(target(type, name));
    return value;
  }

  async list(type: ResourceType, namespace: string | undefined, options: ListOptions): Promise<ListPage> {
    const labels = this.labelSelector(options.labelSelector);
    const fields = parseFieldSelector(type, options.fieldSelector);
    await this.checkListResourceVersion(options.resourceVersion, options.resourceVersionMatch);
    const token = options.continue ? decodeContinue(options.continue) : undefined;
    // Later pages list the snapshot of the first, as kube-apiserver reads them from etcd at the first page's revision.
    let listed;
    try {
      listed = await this.storage.list(collectionPrefix(type, namespace), token?.revision);
    } catch (error) {
      if (error instanceof StorageError && error.code === 'Expired') {
        throw gone('the continue token is too old for a consistent list, because the changes since its first page are no longer kept. Start a new list without it.');
      }
      throw error;
    }
    const { items, revision } = listed;
    const start = token?.start;

    const matching: StoredValue[] = [];
    for (const item of items) {
      if (start !== undefined && item.key <= start) continue;
      if (!labels.matches(item.attributes.labels) || !fields.matches(item.attributes.fields)) continue;
      matching.push(item);
    }
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    if (limit === undefined || matching.length <= limit) return { items: matching, revision };

    const page = matching.slice(0, limit);
    const filtered = !labels.empty || fields.requirements.length > 0;
    return {
      items: page,
      revision,
      continue: encodeContinue(page[page.length - 1].key, revision),
      // kube-apiserver counts the rest only when no selector filters it.
      remainingItemCount: filtered ? undefined : matching.length - limit,
    };
  }

  /** Creates an object; applied marks a server-side apply, whose managed fields applyPatch has already recorded. */
  async create(type: ResourceType, namespace: string | undefined, body: KubeObject, options: WriteOptions, applied = false): Promise<WriteResult> {
    const object = this.decode(type, namespace, body, options);
    const metadata = object.metadata;
    if (!metadata.name && !metadata.generateName) {
      throw invalid(type.kind, type.group || undefined, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    if (metadata.generateName) checkPathSegmentName(type, metadata.generateName, 'metadata.generateName');
    if (metadata.name) checkPathSegmentName(type, metadata.name);
    await this.admitToNamespace(type, metadata.namespace, metadata.name ?? metadata.generateName ?? '');

    prepareForCreate(type, object);
    initializeMetadata(object, tracksGeneration(type));
    const generated = !metadata.name;
    if (generated) metadata.name = generateName(metadata.generateName ?? '');
    this.validate(type, object, undefined);
    if (!applied) updateManagedFields(undefined, object, options.fieldManager);

    if (options.dryRun) return { value: dryRunValue(objectKey(type, metadata.namespace, metadata.name ?? ''), object), created: true };
    // A generated name can collide; try a few fresh suffixes before giving up, as kube-apiserver does.
    for (let attempt = 0; ; attempt++) {
      try {
        return { value: await this.storage.create(objectKey(type, metadata.namespace, metadata.name ?? ''), object), created: true };
      } catch (error) {
        if (!(generated && error instanceof StorageError && error.code === 'AlreadyExists' && attempt < 8)) {
          throw storageFailure(type, metadata.name, error);
        }
        metadata.name = generateName(metadata.generateName ?? '');
      }
    }
  }

  async update(type: ResourceType, namespace: string | undefined, name: string, body: KubeObject, options: UpdateOptions): Promise<WriteResult> {
    checkPathSegmentName(type, name);
    const object = this.decode(type, namespace, body, options);
    if (object.metadata.name !== name) {
      throw badRequest(`the name of the object (${object.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const key = objectKey(type, namespace, name);
    const requestedVersion = object.metadata.resourceVersion;
    const compute = (current: Mutable): Mutable => {
      if (requestedVersion && requestedVersion !== current.metadata.resourceVersion) {
        throw conflict(target(type, name), 'the object has been modified; please apply your changes to the latest version and try again');
      }
      // Storage runs compute once per write, so the decoded body is changed in place instead of copied.
      return this.prepareUpdate(type, object, current, options.fieldManager, options.subresource);
    };

    if (!(await this.storage.get(key))) {
      if (allowsCreateOnUpdate(type) && !options.subresource) return this.create(type, namespace, body, options);
      throw notFound(target(type, name));
    }
    return { value: await this.write(type, key, name, compute, options.dryRun), created: false };
  }

  async patch(type: ResourceType, namespace: string | undefined, name: string, body: string, options: PatchOptions): Promise<WriteResult> {
    checkPathSegmentName(type, name);
    const key = objectKey(type, namespace, name);
    const isApply = options.contentType === 'application/apply-patch+yaml';
    const patchOptions = { fieldManager: options.fieldManager, force: options.force, subresource: options.subresource, parsedBody: options.parsedBody };

    if (!(await this.storage.get(key))) {
      if (!isApply || options.subresource) throw notFound(target(type, name));
      // Server-side apply creates the object when it does not exist yet.
      const created = applyPatch(type, undefined, body, options.contentType, patchOptions);
      created.metadata = { ...created.metadata, name, ...(type.namespaced ? { namespace } : {}) };
      return this.create(type, namespace, created, options, true);
    }

    const compute = (current: Mutable, json: string): Mutable => {
      // current stays as the old object, so a patch type that changes its target gets a copy parsed from the stored JSON.
      const patched = applyPatch(type, current, body, options.contentType, { ...patchOptions, copy: () => parseJson(json) }) as Mutable;
      if (patched.metadata?.resourceVersion && patched.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(target(type, name), 'the object has been modified; please apply your changes to the latest version and try again');
      }
      if (patched.metadata?.name !== undefined && patched.metadata.name !== name) {
        throw badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
      }
      const decoded = this.decode(type, namespace, patched, options);
      // Apply records its own managed fields; the other patch types record an Update.
      return this.prepareUpdate(type, decoded, current, isApply ? undefined : options.fieldManager, options.subresource);
    };
    return { value: await this.write(type, key, name, compute, options.dryRun), created: false };
  }

  /**
   * Runs compute on the current object and stores the result, completing a
   * deletion it unblocks. compute gets the current object, which it may
   * change, and its stored JSON, from which it can parse a second copy.
   */
  async write(type: ResourceType, key: string, name: string, compute: (current: Mutable, json: string) => Mutable, dryRun: boolean): Promise<StoredValue> {
    if (dryRun) {
      const current = await this.storage.get(key);
      if (!current) throw notFound(target(type, name));
      return dryRunValue(key, compute(parseJson(current.json), current.json));
    }
    let stored: StoredValue;
    // The stored JSON is this object's, so the deletion check reads it instead of parsing the JSON again.
    let computed: Mutable | undefined;
    try {
      stored = await this.storage.guaranteedUpdate(key, (current, _revision, json) => (computed = compute(current as Mutable, json)));
    } catch (error) {
      throw storageFailure(type, name, error);
    }
    const object = computed ?? parseJson(stored.json);
    if (shouldDeleteAfterUpdate(type, object)) await this.deleteIfUnchanged(key, stored.revision);
    return stored;
  }

  private async deleteIfUnchanged(key: string, revision: number): Promise<void> {
    try {
      await this.storage.delete(key, (_current, currentRevision) => {
        if (currentRevision !== revision) throw new StorageError('Conflict', key, 'changed since the update');
      });
    } catch (error) {
      // Another writer got there first: it owns the deletion decision now.
      if (!(error instanceof StorageError && (error.code === 'Conflict' || error.code === 'NotFound'))) throw error;
    }
  }

  /** Builds the stored form of an update: strategy, system metadata, defaults, validation, generation and managed fields. */
  prepareUpdate(type: ResourceType, object: Mutable, current: Mutable, fieldManager: string | undefined, subresource?: 'status' | 'scale'): Mutable {
    let updated = object;
    if (subresource === 'status') updated = prepareForStatusUpdate(object, current);
    else prepareForUpdate(type, updated, current);
    keepSystemMetadata(updated, current);
    updated.metadata.resourceVersion = current.metadata.resourceVersion;
    if (subresource !== 'status') applyDefaults(type, updated, this.defaulting);
    this.validate(type, updated, current);
    if (tracksGeneration(type) && !sameJson(updated.spec, current.spec)) {
      updated.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (fieldManager !== undefined) updateManagedFields(current, updated, fieldManager, subresource);
    return updated;
  }

  /** Checks the type and namespace of a request body and applies fieldValidation to it. */
  decode(type: ResourceType, namespace: string | undefined, body: KubeObject, options: WriteOptions): Mutable {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be a JSON or YAML object');
    const object = body as Mutable;
    const apiVersion = apiVersionOf(type);
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(`the kind in the data (${object.kind}) does not match the expected kind (${type.kind})`);
    }
    object.apiVersion = apiVersion;
    object.kind = type.kind;
    if (object.metadata === null || typeof object.metadata !== 'object' || Array.isArray(object.metadata)) object.metadata = {};
    if (type.namespaced) {
      if (object.metadata.namespace && namespace && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = namespace ?? object.metadata.namespace;
    } else {
      delete object.metadata.namespace;
    }
    handleUnknownFields(type, object, options.fieldValidation, options.warnings);
    return object;
  }

  private validate(type: ResourceType, object: KubeObject, old: KubeObject | undefined): void {
    if (!old) applyDefaults(type, object, this.defaulting);
    const causes = validateObject(type, object, old);
    if (causes.length > 0) throw invalid(type.kind, type.group || undefined, object.metadata.name ?? '', causes);
  }

  /** Namespace lifecycle admission: the namespace must exist and must not be terminating. */
  private async admitToNamespace(type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    if (!type.namespaced) return;
    if (!namespace) throw badRequest(`${type.plural} must be created in a namespace`);
    checkPathSegmentName(namespaces, namespace, 'metadata.namespace');
    const stored = await this.storage.get(objectKey(namespaces, undefined, namespace));
    if (!stored) throw notFound({ resource: 'namespaces', name: namespace });
    // The stored attributes carry the namespace's status.phase, so no JSON is parsed per create.
    if (stored.attributes.fields['status.phase'] === 'Terminating') {
      throw forbidden(target(type, name), `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /**
   * Applies kube-apiserver's resourceVersion rules to a LIST served from the
   * newest state. Unset and "0" need nothing. A newer revision is waited for
   * (up to 3 s, then 504). Exact of an older one is 410 Expired, because old
   * snapshots are not kept.
   */
  private async checkListResourceVersion(resourceVersion: string | undefined, match: string | undefined): Promise<void> {
    if (match && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (!resourceVersion) {
      if (match) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      return;
    }
    if (!/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resource version: ${JSON.stringify(resourceVersion)}`);
    const requested = Number(resourceVersion);
    if (match === 'Exact' && requested === 0) throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    if (match === 'Exact' && requested < this.storage.currentRevision()) {
      throw gone(`too old resource version: ${requested} (${this.storage.currentRevision()})`);
    }
    const deadline = Date.now() + 3000;
    while (this.storage.currentRevision() < requested) {
      if (Date.now() > deadline) {
        throw new StatusError({
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 504, reason: 'Timeout',
          message: `Too large resource version: ${requested}, current: ${this.storage.currentRevision()}`,
          details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private labelSelector(text: string | undefined) {
    try {
      return parseSelector(text);
    } catch (error) {
      if (error instanceof SelectorError) throw badRequest(error.message);
      throw error;
    }
  }
}

export function encodeContinue(startAfter: string, revision: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: startAfter })).toString('base64url');
}

/** Decodes a continue token into the key to start after and the revision of the list's first page. */
export function decodeContinue(token: string): { start: string; revision: number } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown; rv?: unknown };
    if (typeof parsed.start === 'string' && Number.isSafeInteger(parsed.rv)) return { start: parsed.start, revision: parsed.rv as number };
  } catch {
    // Falls through to the error below: a token we did not issue.
  }
  throw badRequest(`invalid continue token: ${JSON.stringify(token)}`);
}
