// NodeAffinity: nodeSelector and required node affinity decide where a pod
// may go; preferred node affinity adds the weights of matching terms to the
// score.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm } from '../../api/types.js';
import { normalizeByMax, type Scores, unresolvable, type FilterPlugin, type FilterStatus, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';

const name = 'NodeAffinity';

/** Matches one requirement against a label or field value; undefined means the key is absent. */
function matchesRequirement(requirement: ReadonlyDeep<NodeSelectorRequirement>, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Both sides must be integers, and exactly one value is allowed, as validation requires.
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      return requirement.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

/** Matches a term: all its expressions and fields must match, and an empty term matches no node. */
export function matchesNodeSelectorTerm(term: ReadonlyDeep<NodeSelectorTerm>, node: ReadonlyDeep<Node>): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const requirement of expressions) {
    const value = Object.prototype.hasOwnProperty.call(labels, requirement.key) ? labels[requirement.key] : undefined;
    if (!matchesRequirement(requirement, value)) return false;
  }
  for (const requirement of fields) {
    // metadata.name is the only field selector that node affinity supports.
    const value = requirement.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!matchesRequirement(requirement, value)) return false;
  }
  return true;
}

/** Reports whether a node satisfies the pod's nodeSelector and required node affinity. */
export function matchesRequiredNodeAffinity(pod: PodInfo, node: ReadonlyDeep<Node>): boolean {
  const selector = pod.pod.spec.nodeSelector;
  if (selector) {
    const labels = node.metadata.labels ?? {};
    for (const key of Object.keys(selector)) {
      if (labels[key] !== selector[key]) return false;
    }
  }
  const required = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  // Terms are ORed.
  return required.nodeSelectorTerms.some((term) => matchesNodeSelectorTerm(term, node));
}

export const nodeAffinityFilter: FilterPlugin = {
  name,
  skip(pod: PodInfo): boolean {
    return !pod.pod.spec.nodeSelector && !pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  },
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
    if (node.node && matchesRequiredNodeAffinity(pod, node.node)) return undefined;
    return unresolvable(name, "node(s) didn't match Pod's node affinity/selector");
  },
};

export const nodeAffinityScore: ScorePlugin = {
  name,
  weight: 2,
  skip(pod: PodInfo): boolean {
    return (pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0;
  },
  score(pod: PodInfo, node: NodeInfo): number {
    const preferred = pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    let total = 0;
    for (const term of preferred) {
      if (node.node && matchesNodeSelectorTerm(term.preference, node.node)) total += term.weight;
    }
    return total;
  },
  normalize(_pod: PodInfo, scores: Scores): void {
    normalizeByMax(scores, false);
  },
};
