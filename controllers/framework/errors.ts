// Classification of API errors shared by the controllers.

import { ApiError } from '../../api/client.js';

/** Returns whether error is the 403 the apiserver returns for a create in a namespace that is being deleted. */
export function isNamespaceTerminating(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.code !== 403) return false;
  const causes = error.status.details?.causes ?? [];
  return causes.some((cause) => cause.reason === 'NamespaceTerminating') || /being terminated/.test(error.message);
}
