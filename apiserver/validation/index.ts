import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, StatusCause } from '../../api/types.js';

// TODO: placeholder; validation per kind is not written yet.
/** Validates an object on create (old undefined) or update; returns the causes of a 422 Invalid. */
export function validateObject(_type: ResourceType, _object: KubeObject, _old?: KubeObject): StatusCause[] {
  return [];
}

/** Returns the dotted paths of fields that the kind's schema does not define, for fieldValidation. */
export function findUnknownFields(_type: ResourceType, _object: unknown): string[] {
  return [];
}
