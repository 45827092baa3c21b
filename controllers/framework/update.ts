// Read-modify-write of one object against the server rather than the
// cache, for caches that hold reduced objects and for writes that must not
// lose fields another component set meanwhile.

import { ApiClient, isNotFound } from '../../api/client.js';
import type { ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';

interface Identity {
  metadata: { name?: string; namespace?: string; uid?: string };
}

/**
 * Reads the live object that cached identifies, applies change to it and
 * writes it back with its resourceVersion, so a concurrent write fails with
 * 409 Conflict. Returns undefined, without writing, when the object is gone
 * or was replaced by another with the same name, or when change returns false.
 * With subresource `status` the write goes to the status subresource.
 */
export async function updateLive<T extends KubeObject>(client: ApiClient, type: ResourceType, cached: Identity,
  change: (live: T) => boolean | void, subresource?: 'status'): Promise<T | undefined> {
  let live: T;
  try {
    live = await client.get<T>(type, cached.metadata.namespace, cached.metadata.name ?? '');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  if (live.metadata.uid !== cached.metadata.uid) return undefined;
  if (change(live) === false) return undefined;
  try {
    return subresource === 'status' ? await client.updateStatus<T>(type, live) : await client.update<T>(type, live);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
