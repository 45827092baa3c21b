// Waits, by polling the API, for a node to report the Ready condition, as
// `kubectl wait --for=condition=Ready node/NAME` waits for it.

import { type ApiClient, isNotFound } from '../api/client.js';
import { nodes } from '../api/resources.js';
import type { Node } from '../api/types.js';

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** Resolves true once the node is Ready, or false when timeoutMs passes or the signal aborts first. */
export async function waitForNodeReady(client: ApiClient, nodeName: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      if (isNodeReady(await client.get<Node>(nodes, undefined, nodeName))) return true;
    } catch (error) {
      // The kubelet registers the node shortly after it starts; until then, NotFound only means "not yet".
      if (!isNotFound(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
