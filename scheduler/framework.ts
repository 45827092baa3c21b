// The plugin seams of the scheduler, named as in kube-scheduler's scheduling
// framework: a filter plugin decides whether a node is feasible for a pod, a
// score plugin ranks the feasible nodes.

import type { NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';

/**
 * Why a node was rejected. `Unschedulable` may be resolved by preempting
 * pods on the node (resources, ports); `UnschedulableAndUnresolvable` cannot
 * (taints, affinity, cordon), which changes the preemption part of the
 * Unschedulable message.
 */
export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterStatus {
  code: StatusCode;
  plugin: string;
  /** Reasons in kube-scheduler's wording, such as `Insufficient memory`; one node may have several. */
  reasons: string[];
}

export interface FilterPlugin {
  readonly name: string;
  /**
   * Reports that the filter can reject no node for this pod, so the decision
   * runs without it, as a Skip status from kube-scheduler's PreFilter does.
   */
  skip?(pod: PodInfo): boolean;
  /** Returns undefined when the node is feasible for the pod. */
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** Reports that the plugin would score every node alike for this pod, as a Skip status from PreScore does. */
  skip?(pod: PodInfo): boolean;
  /** Returns a raw score; higher is better. */
  score(pod: PodInfo, node: NodeInfo): number;
  /** Rescales the raw scores of all feasible nodes in place to 0..maxNodeScore. */
  normalize?(pod: PodInfo, scores: Scores): void;
}

export const maxNodeScore = 100;

/** The raw or normalized scores of the feasible nodes, one per node in their order. */
export type Scores = number[] | Float64Array;

/** Rescales scores to 0..maxNodeScore by the largest one, optionally reversed so that the smallest raw score ranks highest. */
export function normalizeByMax(scores: Scores, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) {
      scores[i] = reverse ? maxNodeScore : 0;
      continue;
    }
    const scaled = (scores[i] * maxNodeScore) / max;
    scores[i] = reverse ? maxNodeScore - scaled : scaled;
  }
}

export function unschedulable(plugin: string, ...reasons: string[]): FilterStatus {
  return { code: 'Unschedulable', plugin, reasons };
}

export function unresolvable(plugin: string, ...reasons: string[]): FilterStatus {
  return { code: 'UnschedulableAndUnresolvable', plugin, reasons };
}
