// The default profile: filters in kube-scheduler's order, which decides the
// reason a node reports when it fails several of them, and score plugins with
// kube-scheduler's default weights.

import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { nodeAffinityFilter, nodeAffinityScore } from './nodeaffinity.js';
import { nodePortsFilter } from './nodeports.js';
import { balancedAllocationScore, leastAllocatedScore, nodeResourcesFitFilter } from './noderesources.js';
import { nodeUnschedulableFilter } from './nodeunschedulable.js';
import { ownerSpreadScore } from './spread.js';
import { taintTolerationFilter, taintTolerationScore } from './tainttoleration.js';

export const defaultFilters: readonly FilterPlugin[] = [
  nodeUnschedulableFilter,
  taintTolerationFilter,
  nodeAffinityFilter,
  nodePortsFilter,
  nodeResourcesFitFilter,
];

export const defaultScores: readonly ScorePlugin[] = [
  leastAllocatedScore,
  balancedAllocationScore,
  ownerSpreadScore,
  nodeAffinityScore,
  taintTolerationScore,
];
