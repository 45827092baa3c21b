// Storage keys of objects: `<resource>/<namespace>/<name>` for namespaced
// kinds and `<resource>/<name>` for cluster-scoped ones, where resource is
// the plural, qualified by the group outside the core group
// (`deployments.apps`). Names are validated before they reach a key, so a
// key never contains a stray `/`.

import type { ResourceType } from '../../api/resources.js';

export function storageResource(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function objectKey(type: ResourceType, namespace: string | undefined, name: string): string {
  return type.namespaced ? `${storageResource(type)}/${namespace ?? ''}/${name}` : `${storageResource(type)}/${name}`;
}

/** Returns the key prefix of a collection, across every namespace when namespace is undefined. */
export function collectionPrefix(type: ResourceType, namespace: string | undefined): string {
  return type.namespaced && namespace ? `${storageResource(type)}/${namespace}/` : `${storageResource(type)}/`;
}
