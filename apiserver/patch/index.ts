import type { ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { unsupportedMediaType } from '../errors.js';

export interface PatchOptions {
  fieldManager: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

// TODO: placeholder; only merge patch semantics are missing here too.
/**
 * Applies a PATCH body of the given content type to current and returns the
 * new object. current is undefined only for server-side apply of a new
 * object. Throws StatusError (400, 409, 415, 422) for a bad patch.
 */
export function applyPatch(_type: ResourceType, _current: KubeObject | undefined, _body: string, contentType: string,
  _options: PatchOptions): KubeObject {
  throw unsupportedMediaType(contentType);
}

/** Records the fields that an Update operation of manager changed in metadata.managedFields. */
export function updateManagedFields(_old: KubeObject | undefined, _object: KubeObject, _manager: string, _subresource?: string): void {}
