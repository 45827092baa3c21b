// One scheduling decision for one pod, on the cache as it stands: filter
// nodes until enough are feasible, score the feasible ones, pick the best.
// It is synchronous, so the cache cannot change under a decision.

import type { FilterPlugin, FilterStatus, ScorePlugin } from './framework.js';
import { fitErrorMessage } from './message.js';
import type { NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';
import { numFeasibleNodesToFind } from './sampling.js';

export type ScheduleResult =
  | { kind: 'feasible'; node: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; message: string; rejectorPlugins: ReadonlySet<string> };

export interface AlgorithmOptions {
  filters: readonly FilterPlugin[];
  scores: readonly ScorePlugin[];
  /** Percentage of nodes to find feasible before scoring; unset means adaptive. */
  percentageOfNodesToScore?: number;
  /** Returns a number in [0, 1); injected by tests that need a fixed tie-break. */
  random?: () => number;
}

function runFilters(filters: readonly FilterPlugin[], pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
  for (const plugin of filters) {
    const status = plugin.filter(pod, node);
    if (status) return status;
  }
  return undefined;
}

export class ScheduleAlgorithm {
  /** Where the next search starts, so successive pods look at different nodes of a sample. */
  private nextStartNodeIndex = 0;
  private readonly random: () => number;
  /** Score buffers reused from pod to pod, because every decision scores hundreds of nodes. */
  private totals = new Float64Array(0);
  private scores = new Float64Array(0);

  constructor(private readonly options: AlgorithmOptions) {
    this.random = options.random ?? Math.random;
  }

  schedule(pod: PodInfo, nodes: readonly NodeInfo[]): ScheduleResult {
    const statuses: FilterStatus[] = [];
    const filters = this.options.filters.filter((plugin) => !plugin.skip?.(pod));
    const feasible = this.findNodesThatFit(pod, filters, nodes, statuses);
    if (feasible.length === 0) {
      const rejectorPlugins = new Set(statuses.map((status) => status.plugin));
      return { kind: 'unschedulable', message: fitErrorMessage(pod, nodes.length, statuses), rejectorPlugins };
    }
    const evaluatedNodes = feasible.length + statuses.length;
    if (feasible.length === 1) return { kind: 'feasible', node: feasible[0].name, evaluatedNodes, feasibleNodes: 1 };
    return { kind: 'feasible', node: this.selectHost(pod, feasible), evaluatedNodes, feasibleNodes: feasible.length };
  }

  /** Runs the filters from the rotating start index until enough nodes are feasible; fills statuses with each rejected node's status. */
  private findNodesThatFit(pod: PodInfo, filters: readonly FilterPlugin[], nodes: readonly NodeInfo[], statuses: FilterStatus[]): NodeInfo[] {
    const wanted = numFeasibleNodesToFind(nodes.length, this.options.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    let processed = 0;
    for (; processed < nodes.length && feasible.length < wanted; processed++) {
      const node = nodes[(this.nextStartNodeIndex + processed) % nodes.length];
      const status = runFilters(filters, pod, node);
      if (status) statuses.push(status);
      else feasible.push(node);
    }
    this.nextStartNodeIndex = nodes.length === 0 ? 0 : (this.nextStartNodeIndex + processed) % nodes.length;
    return feasible;
  }

  /** Scores the feasible nodes and returns the best one, breaking ties uniformly at random. */
  private selectHost(pod: PodInfo, feasible: readonly NodeInfo[]): string {
    if (this.totals.length < feasible.length) {
      this.totals = new Float64Array(feasible.length);
      this.scores = new Float64Array(feasible.length);
    }
    const totals = this.totals.subarray(0, feasible.length).fill(0);
    const scores = this.scores.subarray(0, feasible.length);
    for (const plugin of this.options.scores) {
      if (plugin.skip?.(pod)) continue;
      for (let i = 0; i < feasible.length; i++) scores[i] = plugin.score(pod, feasible[i]);
      plugin.normalize?.(pod, scores);
      for (let i = 0; i < feasible.length; i++) totals[i] += scores[i] * plugin.weight;
    }

    let best = -Infinity;
    let ties = 0;
    for (let i = 0; i < feasible.length; i++) {
      if (totals[i] > best) {
        best = totals[i];
        ties = 1;
      } else if (totals[i] === best) {
        ties++;
      }
    }
    // One draw picks uniformly among the tied nodes, counted from the last, so that similar
    // nodes, which tie often, do not cost a draw each.
    let remaining = Math.floor(this.random() * ties);
    for (let i = feasible.length - 1; i >= 0; i--) {
      if (totals[i] === best && remaining-- === 0) return feasible[i].name;
    }
    return feasible[0].name;
  }
}
