// Pods on the real runtime, driven through a real apiserver.

import test from 'ava';
import { pods } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';
import { newContainer, newPod, waitFor, type Harness } from './fixtures.js';
import { isRoot, startRealHarness } from './real-runtime.js';

const realTest = isRoot ? test : test.skip;

function busybox(name: string, command: string[], overrides: Parameters<typeof newContainer>[1] = {}) {
  return newContainer(name, { image: 'busybox', imagePullPolicy: 'Never', command, ...overrides });
}

async function podWhen(harness: Harness, name: string, description: string, check: (pod: Pod) => boolean, timeoutMs = 20_000): Promise<Pod> {
  return waitFor(`${name}: ${description}`, async () => {
    const pod = await harness.getPod(name);
    return check(pod) ? pod : undefined;
  }, timeoutMs);
}

const isReady = (pod: Pod) => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

realTest('real pod becomes Running and Ready', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('sleeper', harness.nodeName, { containers: [busybox('main', ['sleep', '1000'])] }));
  const pod = await podWhen(harness, 'sleeper', 'Ready', isReady);
  t.is(pod.status?.phase, 'Running');
  const prefix = harness.podCIDR.split('.').slice(0, 3).join('.');
  t.true(pod.status?.podIP?.startsWith(`${prefix}.`), `pod IP ${pod.status?.podIP} outside ${harness.podCIDR}`);
  t.is(pod.status?.qosClass, 'BestEffort');
  t.regex(pod.status?.containerStatuses?.[0]?.containerID ?? '', /^tinykube:\/\//);
});
