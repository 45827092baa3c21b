// The scheduler cache: a NodeInfo per node, kept up to date from the node and
// pod informers, plus the pods the scheduler has assumed onto a node while
// their binding is in flight. Counting assumed pods is what lets the next
// decision start before the previous binding has returned.

import type { ReadonlyDeep } from '../api/informer.js';
import type { Node } from '../api/types.js';
import { NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';

interface PodState {
  pod: PodInfo;
  nodeName: string;
  /** True from assume until the informer shows the pod bound, or until forget. */
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodeInfos = new Map<string, NodeInfo>();
  /** Nodes that exist, in a stable order for the rotating search; indexed for O(1) removal. */
  private readonly nodeList: NodeInfo[] = [];
  private readonly nodeIndex = new Map<string, number>();
  private readonly podStates = new Map<string, PodState>();

  /** The nodes a pod may be placed on. The array is live: do not keep it across awaits. */
  nodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodeInfos.get(name);
  }

  get podCount(): number {
    return this.podStates.size;
  }

  addOrUpdateNode(node: ReadonlyDeep<Node>): void {
    const name = node.metadata.name ?? '';
    const info = this.nodeInfoFor(name);
    info.setNode(node);
    if (!this.nodeIndex.has(name)) {
      this.nodeIndex.set(name, this.nodeList.length);
      this.nodeList.push(info);
    }
  }

  removeNode(name: string): void {
    const index = this.nodeIndex.get(name);
    if (index !== undefined) {
      const last = this.nodeList.length - 1;
      const moved = this.nodeList[last];
      this.nodeList[index] = moved;
      this.nodeIndex.set(moved.name, index);
      this.nodeList.pop();
      this.nodeIndex.delete(name);
    }
    const info = this.nodeInfos.get(name);
    // Pods still bound to a deleted node keep their NodeInfo until they go too.
    if (info && info.pods.size === 0) this.nodeInfos.delete(name);
    else if (info) info.node = undefined;
  }

  /** Counts the pod on the node before the binding is confirmed. */
  assumePod(pod: PodInfo, nodeName: string): void {
    if (this.podStates.has(pod.uid)) throw new Error(`assume pod ${pod.key}: it is already in the scheduler cache`);
    this.nodeInfoFor(nodeName).addPod(pod);
    this.podStates.set(pod.uid, { pod, nodeName, assumed: true });
  }

  /** Undoes assumePod after a failed binding. */
  forgetPod(uid: string): void {
    const state = this.podStates.get(uid);
    if (!state?.assumed) return;
    this.removeFromNode(state);
    this.podStates.delete(uid);
  }

  /** Reports whether the cache counts the pod as bound, its binding confirmed by the informer. */
  isConfirmed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed === false;
  }

  isAssumed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed ?? false;
  }

  /** Records a pod the informer shows bound to a node; confirms it if it was assumed. */
  addOrUpdatePod(pod: PodInfo, nodeName: string): void {
    const state = this.podStates.get(pod.uid);
    if (state) this.removeFromNode(state);
    this.nodeInfoFor(nodeName).addPod(pod);
    this.podStates.set(pod.uid, { pod, nodeName, assumed: false });
  }

  removePod(uid: string): void {
    const state = this.podStates.get(uid);
    if (!state) return;
    this.removeFromNode(state);
    this.podStates.delete(uid);
  }

  private removeFromNode(state: PodState): void {
    const info = this.nodeInfos.get(state.nodeName);
    if (!info) return;
    info.removePod(state.pod.uid);
    if (!info.node && info.pods.size === 0) this.nodeInfos.delete(state.nodeName);
  }

  private nodeInfoFor(name: string): NodeInfo {
    let info = this.nodeInfos.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.nodeInfos.set(name, info);
    }
    return info;
  }
}
