// Pods on the real runtime, driven through a real apiserver.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

realTest('real pod with a 253-character name runs and its directory goes with it', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  const name = 'a'.repeat(253);
  // A label value allows only 63 characters, so the builder's app label cannot carry the name.
  const created: Pod = await harness.api.client.create(pods, {
    ...newPod(name, harness.nodeName, { containers: [busybox('main', ['sh', '-c', 'echo started; sleep 1000'])] }),
    metadata: { name, namespace: 'default', labels: { app: 'long' } },
  });
  await podWhen(harness, name, 'Ready', isReady);
  t.is((await harness.getPod(name)).status?.phase, 'Running');
  const uid = created.metadata.uid ?? '';
  const directory = join(harness.dataDir, 'pods', uid);
  t.deepEqual(await readdir(join(directory, 'main')), ['0.log']);

  await harness.api.client.delete(pods, 'default', name, { gracePeriodSeconds: 0 });
  await waitFor('pod directory removed', () => !existsSync(directory), 20_000);
  t.pass();
});

realTest('real container with a missing command ends as StartError', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('nocommand', harness.nodeName, { restartPolicy: 'Never', containers: [busybox('main', ['/no/such/command'])] }));
  const pod = await podWhen(harness, 'nocommand', 'Failed', (current) => current.status?.phase === 'Failed');
  const state = pod.status?.containerStatuses?.[0]?.state;
  t.is(state?.waiting, undefined);
  t.is(state?.terminated?.reason, 'StartError');
  t.is(state?.terminated?.exitCode, 128);
  t.regex(state?.terminated?.message ?? '', /\/no\/such\/command/);
});
