// Restarts, OOM kills, graceful deletion and kubelet restarts on the real runtime.

import test from 'ava';
import { events, pods } from '../../api/resources.js';
import type { Container, Event, Pod, PodSpec } from '../../api/types.js';
import { newContainer, newPod, waitFor, type Harness } from './fixtures.js';
import { isRoot, startRealHarness } from './real-runtime.js';

const realTest = isRoot ? test : test.skip;

function busybox(command: string[], overrides: Partial<Container> = {}): Container {
  return newContainer('main', { image: 'busybox', imagePullPolicy: 'Never', command, ...overrides });
}

async function create(harness: Harness, name: string, spec: Partial<PodSpec>): Promise<Pod> {
  return harness.api.client.create(pods, newPod(name, harness.nodeName, spec));
}

async function podWhen(harness: Harness, name: string, description: string, check: (pod: Pod) => boolean, timeoutMs = 20_000): Promise<Pod> {
  return waitFor(`${name}: ${description}`, async () => {
    const pod = await harness.getPod(name);
    return check(pod) ? pod : undefined;
  }, timeoutMs);
}

realTest('restartPolicy Always crash-loops with back-off', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'crasher', { containers: [busybox(['sh', '-c', 'exit 4'])] });
  const pod = await podWhen(harness, 'crasher', 'CrashLoopBackOff after two restarts', (current) => {
    const status = current.status?.containerStatuses?.[0];
    return status?.state?.waiting?.reason === 'CrashLoopBackOff' && status.restartCount >= 2;
  });
  const status = pod.status?.containerStatuses?.[0];
  t.is(status?.lastState?.terminated?.exitCode, 4);
  t.is(status?.lastState?.terminated?.reason, 'Error');
  t.is(pod.status?.phase, 'Running');
  const backOff = await waitFor('BackOff event', async () => {
    const list = await harness.api.client.list<Event>(events, { namespace: 'default' });
    return list.items.find((event) => event.reason === 'BackOff' && event.involvedObject.name === 'crasher');
  });
  t.regex(backOff.message ?? '', /^Back-off restarting failed container main in pod crasher_default\(/);
});

realTest('restartPolicy OnFailure completes as Succeeded', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'task', { restartPolicy: 'OnFailure', containers: [busybox(['sh', '-c', 'echo done'])] });
  const pod = await podWhen(harness, 'task', 'Succeeded', (current) => current.status?.phase === 'Succeeded');
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  t.is(pod.status?.containerStatuses?.[0]?.restartCount, 0);
});

realTest('restartPolicy Never ends as Failed', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'oneshot', { restartPolicy: 'Never', containers: [busybox(['sh', '-c', 'exit 7'])] });
  const pod = await podWhen(harness, 'oneshot', 'Failed', (current) => current.status?.phase === 'Failed');
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 7);
  t.is(pod.status?.containerStatuses?.[0]?.restartCount, 0);
});

realTest('memory limit produces OOMKilled', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'greedy', {
    restartPolicy: 'Never',
    // dd allocates its whole block in memory: 256 MiB against a 32 MiB limit.
    containers: [busybox(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], { resources: { limits: { memory: '32Mi', cpu: '500m' } } })],
  });
  const pod = await podWhen(harness, 'greedy', 'Failed', (current) => current.status?.phase === 'Failed');
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(terminated?.reason, 'OOMKilled');
  t.is(terminated?.exitCode, 137);
  t.is(pod.status?.qosClass, 'Guaranteed');
});

realTest('graceful deletion waits for SIGTERM handling within the grace period', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'stubborn', {
    terminationGracePeriodSeconds: 30,
    // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it.
    containers: [busybox(['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'], { lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo stopping'] } } } })],
  });
  await podWhen(harness, 'stubborn', 'Running', (current) => current.status?.phase === 'Running');

  const started = Date.now();
  await harness.api.client.delete(pods, 'default', 'stubborn', { gracePeriodSeconds: 3 });
  const deleting = await harness.getPod('stubborn');
  t.truthy(deleting.metadata.deletionTimestamp);
  await waitFor('pod object gone', async () => {
    const list = await harness.api.client.list<Pod>(pods, { namespace: 'default' });
    return !list.items.some((pod) => pod.metadata.name === 'stubborn');
  }, 20_000);
  const elapsed = Date.now() - started;
  t.true(elapsed >= 2900, `gone after ${elapsed} ms, before the 3 s grace period`);
  t.true(elapsed < 12_000, `gone after ${elapsed} ms`);
  t.deepEqual(await harness.runtime.listPodSandboxes(), []);
});

realTest('kubelet restart keeps the running containers', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await create(harness, 'steady', { containers: [busybox(['sleep', '1000'])] });
  await create(harness, 'dropped', { containers: [busybox(['sleep', '1000'])] });
  const before = await podWhen(harness, 'steady', 'Running', (current) => current.status?.phase === 'Running');
  await podWhen(harness, 'dropped', 'Running', (current) => current.status?.phase === 'Running');
  const containerID = before.status?.containerStatuses?.[0]?.containerID;

  await harness.kubelet.stop();
  await harness.api.client.delete(pods, 'default', 'dropped', { gracePeriodSeconds: 0 });
  await harness.restartKubelet();

  await waitFor('the deleted pod cleaned up', async () => (await harness.runtime.listPodSandboxes()).length === 1, 20_000);
  const after = await podWhen(harness, 'steady', 'Ready again', (current) =>
    current.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false);
  t.is(after.status?.containerStatuses?.[0]?.containerID, containerID);
  t.is(after.status?.containerStatuses?.[0]?.restartCount, 0);
  const [container] = await harness.runtime.listContainers();
  t.is(container?.state, 'CONTAINER_RUNNING');
});
