// How many feasible nodes to find before scoring, as kube-scheduler's
// percentageOfNodesToScore decides it: on a large cluster, scoring a sample
// of feasible nodes places pods nearly as well as scoring all of them, at a
// fraction of the cost.

/** Below this many nodes every node is considered; a sample never holds fewer. */
export const minFeasibleNodesToFind = 100;
/** The adaptive percentage never drops below this. */
export const minFeasibleNodesPercentageToFind = 5;

/**
 * Returns the number of feasible nodes after which filtering stops. With no
 * configured percentage it adapts to the cluster size as 50% − nodes/125,
 * at least 5%: 10% of 5,000 nodes (500), 42% of 1,000 nodes (420).
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore?: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage >= 100) return numAllNodes;
  if (percentage <= 0) {
    percentage = Math.max(minFeasibleNodesPercentageToFind, 50 - Math.trunc(numAllNodes / 125));
  }
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(minFeasibleNodesToFind, numNodes);
}
