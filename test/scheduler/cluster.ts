// A real apiserver and scheduler for one test, with short backoffs, and a
// poll helper with a deadline.

import type { ExecutionContext } from 'ava';
import { startScheduler } from '../../scheduler/scheduler.js';
import { nodes, pods } from '../../api/resources.js';
import type { Event, Node, Pod } from '../../api/types.js';
import { events } from '../../api/resources.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

export interface TestCluster extends TestApiserver {
  createNode(node: Node): Promise<Node>;
  createPod(pod: Pod): Promise<Pod>;
  getPod(name: string, namespace?: string): Promise<Pod>;
  /** Resolves with the node the pod is bound to, failing the test after the deadline. */
  boundNode(name: string, namespace?: string): Promise<string>;
  podEvents(name: string, namespace?: string): Promise<Event[]>;
}

/** Polls until check returns a value other than undefined; throws after timeoutMs with the description. */
export async function waitFor<T>(description: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts an apiserver and a scheduler for the test; both stop when the test ends. */
export async function startCluster(t: ExecutionContext, options: { withScheduler?: boolean } = {}): Promise<TestCluster> {
  const api = await startTestApiserver();
  const scheduler = options.withScheduler === false ? undefined
    : await startScheduler({ client: api.client, initialBackoffMs: 100, maxBackoffMs: 500 });
  t.teardown(async () => {
    await scheduler?.stop();
    await api.close();
  });
  const getPod = (name: string, namespace = 'default') => api.client.get<Pod>(pods, namespace, name);
  return {
    ...api,
    createNode: (node) => api.client.create(nodes, node),
    // The builders set a uid for unit tests; the apiserver assigns its own.
    createPod: (pod) => api.client.create(pods, { ...pod, metadata: { ...pod.metadata, uid: undefined } }),
    getPod,
    boundNode: (name, namespace = 'default') => waitFor(`pod ${namespace}/${name} to be bound`, async () => (await getPod(name, namespace)).spec.nodeName || undefined),
    podEvents: async (name, namespace = 'default') => (await api.client.list<Event>(events, { namespace })).items
      .filter((event) => event.involvedObject.name === name),
  };
}
