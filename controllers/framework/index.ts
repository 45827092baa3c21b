// An index over an informer's cache by controller: the objects each
// controller uid owns, and the orphans of each namespace. With 10,000 pods a
// ReplicaSet must not scan every pod of its namespace on each reconcile.

import { objectKey, type Informer, type ReadonlyDeep } from '../../api/informer.js';
import type { KubeObject } from '../../api/types.js';
import { controllerRefOf } from './owners.js';

export class ControllerIndex<T extends KubeObject> {
  private readonly byController = new Map<string, Map<string, ReadonlyDeep<T>>>();
  private readonly orphansByNamespace = new Map<string, Map<string, ReadonlyDeep<T>>>();
  /** The bucket each object was filed in, so an update can move it and a delete can find it. */
  private readonly placement = new Map<string, { map: Map<string, Map<string, ReadonlyDeep<T>>>; bucketKey: string }>();

  constructor(informer: Informer<T>) {
    informer.addEventHandler({
      add: (object) => this.file(object),
      update: (_old, object) => this.file(object),
      delete: (object) => this.unfile(objectKey(object)),
    });
  }

  /** Objects whose controller ownerReference has this uid. */
  controlledBy(uid: string | undefined): ReadonlyDeep<T>[] {
    return uid ? [...(this.byController.get(uid)?.values() ?? [])] : [];
  }

  /** Objects of namespace that have no controller. */
  orphans(namespace: string | undefined): ReadonlyDeep<T>[] {
    return [...(this.orphansByNamespace.get(namespace ?? '')?.values() ?? [])];
  }

  private file(object: ReadonlyDeep<T>): void {
    const key = objectKey(object);
    const controllerUid = controllerRefOf(object.metadata)?.uid;
    const map = controllerUid ? this.byController : this.orphansByNamespace;
    const bucketKey = controllerUid ?? object.metadata.namespace ?? '';
    const previous = this.placement.get(key);
    if (previous && (previous.map !== map || previous.bucketKey !== bucketKey)) this.unfile(key);
    bucket(map, bucketKey).set(key, object);
    this.placement.set(key, { map, bucketKey });
  }

  private unfile(key: string): void {
    const previous = this.placement.get(key);
    if (!previous) return;
    const objects = previous.map.get(previous.bucketKey);
    objects?.delete(key);
    if (objects?.size === 0) previous.map.delete(previous.bucketKey);
    this.placement.delete(key);
  }
}

function bucket<T>(map: Map<string, Map<string, T>>, key: string): Map<string, T> {
  let objects = map.get(key);
  if (!objects) {
    objects = new Map();
    map.set(key, objects);
  }
  return objects;
}
