// The ownership graph of the garbage collector: every cached object by uid,
// with its ownerReferences, and the reverse edges from each owner uid to its
// dependents. An owner uid may be known only from its dependents' references
// (the owner is gone, or not cached yet).

import type { ReadonlyDeep } from '../../api/informer.js';
import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../api/types.js';

export interface GraphNode {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  uid: string;
  owners: readonly ReadonlyDeep<OwnerReference>[];
}

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Returns the nodes of the objects whose ownerReferences name ownerUid. */
  dependentsOf(ownerUid: string): GraphNode[] {
    const uids = this.dependents.get(ownerUid) ?? new Set<string>();
    return [...uids].map((uid) => this.nodes.get(uid)).filter((node): node is GraphNode => node !== undefined);
  }

  hasDependents(ownerUid: string): boolean {
    return (this.dependents.get(ownerUid)?.size ?? 0) > 0;
  }

  /** Adds or refreshes the node of object; returns whether its ownerReferences changed. */
  upsert(type: ResourceType, object: ReadonlyDeep<KubeObject>): boolean {
    const uid = object.metadata.uid;
    if (!uid) return false;
    const owners = object.metadata.ownerReferences ?? [];
    const previous = this.nodes.get(uid);
    const changed = !previous || ownerUids(previous.owners) !== ownerUids(owners);
    if (previous && changed) this.unlink(previous);
    const node: GraphNode = { type, namespace: object.metadata.namespace, name: object.metadata.name ?? '', uid, owners };
    this.nodes.set(uid, node);
    if (changed) this.link(node);
    return changed;
  }

  remove(object: ReadonlyDeep<KubeObject>): void {
    const node = object.metadata.uid ? this.nodes.get(object.metadata.uid) : undefined;
    if (!node) return;
    this.unlink(node);
    this.nodes.delete(node.uid);
  }

  private link(node: GraphNode): void {
    for (const owner of node.owners) {
      let set = this.dependents.get(owner.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(owner.uid, set);
      }
      set.add(node.uid);
    }
  }

  private unlink(node: GraphNode): void {
    for (const owner of node.owners) {
      const set = this.dependents.get(owner.uid);
      set?.delete(node.uid);
      if (set?.size === 0) this.dependents.delete(owner.uid);
    }
  }
}

function ownerUids(owners: readonly ReadonlyDeep<OwnerReference>[]): string {
  return owners.map((owner) => owner.uid).sort().join(',');
}
