// One informer per resource (and namespace), shared by every controller of
// the manager, so 10,000 pods are cached once however many controllers
// read them. Pods are cached reduced (see slimPod): a controller that
// writes a pod reads it from the server first.

import type { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { pods, type ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { ControllerIndex } from './index.js';
import { slimPod } from './pods.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly indexes = new Map<ResourceType, ControllerIndex<KubeObject>>();

  constructor(private readonly client: ApiClient) {}

  /** Returns the shared informer of type (in namespace, when given), creating it on first use. */
  get<T extends KubeObject>(type: ResourceType, namespace?: string): Informer<T> {
    const key = `${type.group}/${type.plural}/${namespace ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>(this.client, type, { namespace, transform: type === pods ? slimPod : undefined });
      this.informers.set(key, informer);
    }
    // Each key is only ever created with its own type, so the element type matches.
    return informer as unknown as Informer<T>;
  }

  /** Returns the shared index by controller of the cluster-wide informer of type. */
  controllerIndex<T extends KubeObject>(type: ResourceType): ControllerIndex<T> {
    let index = this.indexes.get(type);
    if (!index) {
      index = new ControllerIndex(this.get<KubeObject>(type));
      this.indexes.set(type, index);
    }
    // Each index is built from the informer of its own type, so the element type matches.
    return index as unknown as ControllerIndex<T>;
  }

  start(): void {
    for (const informer of this.informers.values()) informer.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync()));
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
