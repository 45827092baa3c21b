// The namespace controller empties a namespace that is being deleted. It
// deletes every namespaced object in it, waits until they are all gone (pods
// on a node leave only when their kubelet confirms), then finalizes the
// namespace by removing `kubernetes` from spec.finalizers through the
// finalize subresource, after which the apiserver removes the namespace.

import { ApiClient, isConflict, isNotFound } from '../../api/client.js';
import type { Informer } from '../../api/informer.js';
import { createLogger, type Logger } from '../../api/log.js';
import { namespaces as namespaceResource, resourcePath, resourceTypes, type ResourceType } from '../../api/resources.js';
import type { KubeObject, Namespace } from '../../api/types.js';
import { ControllerLoop, type ReconcileResult } from '../framework/controller.js';
import type { SharedInformers } from '../framework/informers.js';

export const kubernetesFinalizer = 'kubernetes';

export interface NamespaceControllerOptions {
  client: ApiClient;
  informers: SharedInformers;
  workers?: number;
  /** How long to wait before looking again at a namespace that still has objects (1 s by default). */
  recheckMs?: number;
}

export class NamespaceController {
  readonly loop: ControllerLoop;
  private readonly client: ApiClient;
  private readonly namespaces: Informer<Namespace>;
  private readonly recheckMs: number;
  private readonly logger: Logger = createLogger('namespace-controller');

  constructor(options: NamespaceControllerOptions) {
    this.client = options.client;
    this.recheckMs = options.recheckMs ?? 1000;
    this.namespaces = options.informers.get<Namespace>(namespaceResource);
    this.loop = new ControllerLoop({ name: 'namespace-controller', reconciler: this, workers: options.workers, logger: this.logger });
    this.namespaces.addEventHandler({
      add: (namespace) => this.loop.enqueue(namespace.metadata.name ?? ''),
      update: (_old, namespace) => this.loop.enqueue(namespace.metadata.name ?? ''),
    });
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const namespace = this.namespaces.get(name);
    if (!namespace || namespace.metadata.deletionTimestamp === undefined) return;
    if (!namespace.spec?.finalizers?.includes(kubernetesFinalizer)) return;

    const remaining = await this.deleteContent(name);
    if (remaining > 0) {
      this.logger.debug('Namespace still has objects', { namespace: name, remaining });
      return { requeueAfterMs: this.recheckMs };
    }
    await this.finalize(name);
    return;
  }

  /** Deletes every namespaced object of namespace; returns how many are still there. */
  private async deleteContent(namespace: string): Promise<number> {
    let remaining = 0;
    for (const type of resourceTypes.filter((candidate) => candidate.namespaced)) {
      const list = await this.client.list<KubeObject>(type, { namespace });
      remaining += list.items.length;
      await Promise.all(list.items
        .filter((object) => object.metadata.deletionTimestamp === undefined)
        .map((object) => this.deleteObject(type, object)));
    }
    return remaining;
  }

  private async deleteObject(type: ResourceType, object: KubeObject): Promise<void> {
    try {
      await this.client.delete(type, object.metadata.namespace, object.metadata.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: object.metadata.uid },
      });
    } catch (error) {
      // Gone already, or replaced by a new object with the same name that the next pass deletes.
      if (isNotFound(error) || isConflict(error)) return;
      throw new Error(`delete ${type.kind.toLowerCase()} ${object.metadata.namespace}/${object.metadata.name}`, { cause: error });
    }
  }

  /** Removes the `kubernetes` finalizer from spec.finalizers, the last step before the namespace goes. */
  private async finalize(name: string): Promise<void> {
    let current: Namespace;
    try {
      current = await this.client.get<Namespace>(namespaceResource, undefined, name);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const finalizers = (current.spec?.finalizers ?? []).filter((finalizer) => finalizer !== kubernetesFinalizer);
    const body: Namespace = { ...current, spec: { ...(current.spec ?? {}), finalizers } };
    try {
      await this.client.request('PUT', resourcePath(namespaceResource, undefined, name, 'finalize'), body);
      this.logger.info('Finalized namespace', { namespace: name });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`finalize namespace ${name}`, { cause: error });
    }
  }
}
