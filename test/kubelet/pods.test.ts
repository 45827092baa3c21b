// Pod lifecycle against a real apiserver and the in-memory runtime.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import test from 'ava';
import { events, pods } from '../../api/resources.js';
import type { Event, Pod } from '../../api/types.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { newContainer, newPod, startHarness, waitFor, type Harness } from './fixtures.js';

async function createPod(harness: Harness, pod: Pod): Promise<Pod> {
  return harness.api.client.create(pods, pod);
}

function fake(harness: Harness): FakeRuntime {
  if (!(harness.runtime instanceof FakeRuntime)) throw new TypeError('this test needs the fake runtime');
  return harness.runtime;
}

async function podEvents(harness: Harness, name: string): Promise<Event[]> {
  const list = await harness.api.client.list<Event>(events, { namespace: 'default' });
  return list.items.filter((event) => event.involvedObject.name === name);
}

test('pod runs and reports its status fields', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('web', harness.nodeName, {
    containers: [newContainer('main', { resources: { limits: { cpu: '500m', memory: '64Mi' } } })],
  }));

  const pod = await waitFor('pod web Ready', async () => {
    const current = await harness.getPod('web');
    return current.status?.conditions?.find((condition) => condition.type === 'Ready')?.status === 'True' ? current : undefined;
  });
  const status = pod.status ?? {};
  t.is(status.phase, 'Running');
  t.is(status.qosClass, 'Guaranteed');
  t.regex(status.podIP ?? '', /^10\.244\./);
  t.deepEqual(status.podIPs, [{ ip: status.podIP ?? '' }]);
  t.is(status.hostIP, '127.0.0.1');
  t.deepEqual(status.hostIPs, [{ ip: '127.0.0.1' }]);
  t.truthy(status.startTime);
  const types = (status.conditions ?? []).filter((condition) => condition.status === 'True').map((condition) => condition.type).sort();
  t.deepEqual(types, ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'PodScheduled', 'Ready']);

  const container = status.containerStatuses?.[0];
  t.is(container?.name, 'main');
  t.truthy(container?.state?.running?.startedAt);
  t.true(container?.ready);
  t.true(container?.started);
  t.is(container?.restartCount, 0);
  t.is(container?.image, 'tinykube/base');
  t.regex(container?.imageID ?? '', /^sha256:/);
  t.regex(container?.containerID ?? '', /^tinykube:\/\/[0-9a-f]+$/);

  const sandbox = [...fake(harness).sandboxes.values()][0];
  t.is(sandbox?.config.resources.qosClass, 'Guaranteed');
  t.is(sandbox?.config.resources.memoryLimit, 64 * 2 ** 20);
  t.is(sandbox?.config.resources.cpuLimit, 500);

  const reasons = await waitFor('Started event', async () => {
    const found = (await podEvents(harness, 'web')).map((event) => event.reason);
    return found.includes('Started') ? found : undefined;
  });
  t.true(reasons.includes('Pulled'));
  t.true(reasons.includes('Created'));
  const started = (await podEvents(harness, 'web')).find((event) => event.reason === 'Started');
  t.is(started?.involvedObject.fieldPath, 'spec.containers{main}');
  t.is(started?.source?.component, 'kubelet');
  t.is(started?.source?.host, harness.nodeName);
});

test('restartPolicy Always backs off a crash loop', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('crash', harness.nodeName, { containers: [newContainer('main', { command: ['exit', '3'] })] }));

  const backedOff = await waitFor('CrashLoopBackOff', async () => {
    const status = (await harness.getPod('crash')).status?.containerStatuses?.[0];
    return status?.state?.waiting?.reason === 'CrashLoopBackOff' ? status : undefined;
  });
  t.regex(backedOff.state?.waiting?.message ?? '', /^back-off \d+s restarting failed container=main pod=crash_default\(/);
  t.is(backedOff.lastState?.terminated?.exitCode, 3);
  t.is(backedOff.lastState?.terminated?.reason, 'Error');
  t.true(backedOff.restartCount >= 1);
  t.is((await harness.getPod('crash')).status?.phase, 'Running');

  // With a 400 ms base the delays grow 400, 800, 1600: restarts keep coming but slow down.
  await waitFor('restartCount 3', async () => ((await harness.getPod('crash')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3, 15_000);
  await waitFor('BackOff event', async () => (await podEvents(harness, 'crash')).some((event) => event.reason === 'BackOff'));
  t.pass();
});

test('restartPolicy OnFailure restarts failures and then succeeds', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  // The fake's script fails the first time only: attempt 0 exits 1, later attempts exit 0.
  const runtime = fake(harness);
  const create = runtime.createContainer.bind(runtime);
  runtime.createContainer = (sandboxId, config) => create(sandboxId, { ...config, command: ['exit', config.attempt === 0 ? '1' : '0'] });
  await createPod(harness, newPod('job', harness.nodeName, { restartPolicy: 'OnFailure' }));

  const pod = await waitFor('pod Succeeded', async () => {
    const current = await harness.getPod('job');
    return current.status?.phase === 'Succeeded' ? current : undefined;
  });
  const status = pod.status?.containerStatuses?.[0];
  t.is(status?.restartCount, 1);
  t.is(status?.state?.terminated?.exitCode, 0);
  t.is(status?.state?.terminated?.reason, 'Completed');
  t.is(status?.lastState?.terminated?.exitCode, 1);
  t.is(pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.reason, 'PodCompleted');
});

test('restartPolicy Never fails without restarting', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('once', harness.nodeName, { restartPolicy: 'Never', containers: [newContainer('main', { command: ['exit', '2'] })] }));

  const pod = await waitFor('pod Failed', async () => {
    const current = await harness.getPod('once');
    return current.status?.phase === 'Failed' ? current : undefined;
  });
  t.is(pod.status?.containerStatuses?.[0]?.restartCount, 0);
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 2);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.is(fake(harness).containers.size, 1);
});

test('OOMKilled shows as the termination reason', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('hungry', harness.nodeName, { restartPolicy: 'Never', containers: [newContainer('main', { command: ['oom'] })] }));
  const pod = await waitFor('pod Failed', async () => {
    const current = await harness.getPod('hungry');
    return current.status?.phase === 'Failed' ? current : undefined;
  });
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'OOMKilled');
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
});

test('init containers run in order before containers', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('staged', harness.nodeName, {
    initContainers: [newContainer('first', { command: ['exit', '0', '1500'] }), newContainer('second', { command: ['exit', '0', '200'] })],
  }));
  const pending = await waitFor('first init running', async () => {
    const current = await harness.getPod('staged');
    return current.status?.initContainerStatuses?.[0]?.state?.running ? current : undefined;
  });
  t.is(pending.status?.phase, 'Pending');
  t.is(pending.status?.initContainerStatuses?.[1]?.state?.waiting?.reason, 'PodInitializing');
  t.is(pending.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');

  const running = await waitFor('pod Running', async () => {
    const current = await harness.getPod('staged');
    return current.status?.phase === 'Running' ? current : undefined;
  });
  const [first, second] = running.status?.initContainerStatuses ?? [];
  t.is(first?.state?.terminated?.reason, 'Completed');
  t.is(second?.state?.terminated?.reason, 'Completed');
  t.true(Date.parse(second?.state?.terminated?.startedAt ?? '') >= Date.parse(first?.state?.terminated?.finishedAt ?? '') - 1000);
});

test('missing image with pull policy Never is ErrImageNeverPull', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('absent', harness.nodeName, { containers: [newContainer('main', { image: 'nowhere:1', imagePullPolicy: 'Never' })] }));
  const waiting = await waitFor('ErrImageNeverPull', async () => {
    const state = (await harness.getPod('absent')).status?.containerStatuses?.[0]?.state?.waiting;
    return state?.reason === 'ErrImageNeverPull' ? state : undefined;
  });
  t.is(waiting.message, 'Container image "nowhere:1" is not present with pull policy of Never');
  await waitFor('ErrImageNeverPull event', async () => (await podEvents(harness, 'absent')).some((event) => event.reason === 'ErrImageNeverPull'));
  t.pass();
});

test('missing image to pull goes ErrImagePull then ImagePullBackOff', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  // A watch sees every status write; polling could miss the short-lived ErrImagePull.
  const seen = new Map<string, string>();
  const watch = harness.api.client.watch<Pod>(pods, { namespace: 'default', fieldSelector: 'metadata.name=remote' }, (event) => {
    const waiting = event.object.status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason) seen.set(waiting.reason, waiting.message ?? '');
  });
  t.teardown(() => watch.stop());
  await createPod(harness, newPod('remote', harness.nodeName, { containers: [newContainer('main', { image: 'registry.example/app:2', imagePullPolicy: 'IfNotPresent' })] }));
  await waitFor('ImagePullBackOff', () => seen.has('ErrImagePull') && seen.has('ImagePullBackOff'));
  t.regex(seen.get('ErrImagePull') ?? '', /^failed to pull image "registry\.example\/app:2": .*not supported/);
  t.regex(seen.get('ImagePullBackOff') ?? '', /^Back-off pulling image "registry\.example\/app:2"/);
  const failed = await waitFor('Failed event', async () => (await podEvents(harness, 'remote')).find((event) => event.reason === 'Failed'));
  t.regex(failed.message ?? '', /^(Failed to pull image "registry\.example\/app:2": |Error: ErrImagePull)/);
});

test('graceful deletion runs preStop, waits the grace period and deletes the pod', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = fake(harness);
  await createPod(harness, newPod('slow', harness.nodeName, {
    terminationGracePeriodSeconds: 30,
    containers: [newContainer('main', { command: ['ignore-term'], lifecycle: { preStop: { exec: { command: ['echo', 'bye'] } } } })],
  }));
  await waitFor('pod Running', async () => (await harness.getPod('slow')).status?.phase === 'Running');

  const started = Date.now();
  await harness.api.client.delete(pods, 'default', 'slow', { gracePeriodSeconds: 2 });
  await waitFor('pod object gone', async () => {
    try {
      await harness.getPod('slow');
      return false;
    } catch {
      return true;
    }
  });
  const elapsed = Date.now() - started;
  t.true(elapsed >= 1900, `deleted after ${elapsed} ms, before the 2 s grace period`);
  t.deepEqual(runtime.execCalls.map((call) => call.command), [['echo', 'bye']]);
  t.is(runtime.sandboxes.size, 0);
  t.is(runtime.containers.size, 0);
  const killing = await waitFor('Killing event', async () => (await podEvents(harness, 'slow')).find((event) => event.reason === 'Killing'));
  t.is(killing.message, 'Stopping container main');
});

/** Creates the log directory the fake runtime only records, with a log file in it, as the real runtime writes it. */
async function writeLogDirectory(harness: Harness, uid: string): Promise<string> {
  const sandbox = [...fake(harness).sandboxes.values()].find((entry) => entry.uid === uid);
  if (sandbox === undefined) throw new Error(`no sandbox for pod ${uid}`);
  await mkdir(join(sandbox.config.logDirectory, 'main'), { recursive: true });
  await writeFile(join(sandbox.config.logDirectory, 'main', '0.log'), 'hello\n');
  return sandbox.config.logDirectory;
}

test('kubelet restart keeps containers and cleans up pods deleted meanwhile', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = fake(harness);
  await createPod(harness, newPod('keep', harness.nodeName));
  await createPod(harness, newPod('gone', harness.nodeName));
  await waitFor('both Running', async () => {
    const list = await harness.api.client.list<Pod>(pods, { namespace: 'default' });
    return list.items.filter((pod) => pod.status?.phase === 'Running').length === 2;
  });
  const keep = await harness.getPod('keep');
  const containerID = keep.status?.containerStatuses?.[0]?.containerID;
  const keepDirectory = await writeLogDirectory(harness, keep.metadata.uid ?? '');
  const goneDirectory = await writeLogDirectory(harness, (await harness.getPod('gone')).metadata.uid ?? '');
  // A directory of a pod that neither the API nor the runtime has any more, as a crash can leave behind.
  const strayDirectory = join(harness.dataDir, 'pods', `default_stray_${randomUUID()}`);
  await mkdir(join(strayDirectory, 'main'), { recursive: true });

  await harness.kubelet.stop();
  // Force-delete while the kubelet is down, as `kubectl delete --force --grace-period=0` does.
  await harness.api.client.delete(pods, 'default', 'gone', { gracePeriodSeconds: 0 });
  await waitFor('gone deleted', async () => {
    const list = await harness.api.client.list<Pod>(pods, { namespace: 'default' });
    return !list.items.some((pod) => pod.metadata.name === 'gone');
  });
  await harness.restartKubelet();

  await waitFor('orphan sandbox removed', () => runtime.sandboxes.size === 1);
  const after = await harness.getPod('keep');
  t.is(after.status?.containerStatuses?.[0]?.containerID, containerID);
  t.is(after.status?.containerStatuses?.[0]?.restartCount, 0);
  t.is(runtime.containers.size, 1);
  await waitFor('directories of deleted pods removed', () => !existsSync(goneDirectory) && !existsSync(strayDirectory));
  t.true(existsSync(join(keepDirectory, 'main', '0.log')));
});

test('deleted pod loses its directory', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const pod = await createPod(harness, newPod('brief', harness.nodeName));
  await waitFor('pod Running', async () => (await harness.getPod('brief')).status?.phase === 'Running');
  const directory = await writeLogDirectory(harness, pod.metadata.uid ?? '');
  t.is(basename(directory), `default_brief_${pod.metadata.uid}`);

  await harness.api.client.delete(pods, 'default', 'brief');
  await waitFor('directory removed', () => !existsSync(directory));
  t.is(fake(harness).sandboxes.size, 0);
});

test('pod with a 253-character name runs and records events', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const name = 'a'.repeat(253);
  // A label value allows only 63 characters, so the builder's app label cannot carry the name.
  const pod = await createPod(harness, { ...newPod(name, harness.nodeName), metadata: { name, namespace: 'default', labels: { app: 'long' } } });
  await waitFor('pod Running', async () => (await harness.getPod(name)).status?.phase === 'Running');

  const sandbox = [...fake(harness).sandboxes.values()][0];
  t.is(basename(sandbox?.config.logDirectory ?? ''), pod.metadata.uid ?? 'no uid');
  const started = await waitFor('Started event', async () => (await podEvents(harness, name)).find((event) => event.reason === 'Started'));
  t.true((started.metadata.name ?? '').length <= 253);
});

test('sandbox failure leaves a waiting status and an event', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  fake(harness).runPodSandbox = async () => {
    throw new Error("mkdir '/data/pods/x': ENAMETOOLONG");
  };
  await createPod(harness, newPod('stuck', harness.nodeName));

  const status = await waitFor('a container status', async () => (await harness.getPod('stuck')).status?.containerStatuses?.[0]);
  t.is(status.state?.waiting?.reason, 'ContainerCreating');
  const failed = await waitFor('FailedCreatePodSandBox event', async () => (await podEvents(harness, 'stuck')).find((event) => event.reason === 'FailedCreatePodSandBox'));
  t.regex(failed.message ?? '', /ENAMETOOLONG/);
  t.is(failed.type, 'Warning');
});

test('pod kept by a finalizer shows its containers terminated', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const pod = newPod('held', harness.nodeName);
  pod.metadata.finalizers = ['example.com/block'];
  await createPod(harness, pod);
  await waitFor('pod Ready', async () => (await harness.getPod('held')).status?.containerStatuses?.[0]?.ready === true);

  await harness.api.client.delete(pods, 'default', 'held');
  const held = await waitFor('phase Failed', async () => {
    const current = await harness.getPod('held');
    return current.status?.phase === 'Failed' ? current : undefined;
  });
  t.truthy(held.metadata.deletionTimestamp);
  const container = held.status?.containerStatuses?.[0];
  t.is(container?.state?.running, undefined);
  t.is(container?.state?.terminated?.exitCode, 143);
  t.is(container?.state?.terminated?.reason, 'Error');
  t.false(container?.ready);
  t.is(held.status?.conditions?.find((condition) => condition.type === 'Ready')?.status, 'False');

  await harness.api.client.patch(pods, 'default', 'held', { metadata: { finalizers: null } }, 'merge');
  await waitFor('pod object gone', async () => harness.getPod('held').then(() => false, () => true));
  t.is(fake(harness).sandboxes.size, 0);
});

test('start failure with restartPolicy Never ends as StartError', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = fake(harness);
  // Like the real runtime, a process that never ran leaves an exited container with 128 and reason StartError.
  runtime.startContainer = async (containerId) => {
    const container = runtime.containers.get(containerId);
    if (container !== undefined) container.status.message = 'exec: "nope": executable file not found in $PATH';
    runtime.kill(containerId, 128, 'StartError');
    throw new Error('start container main: exec: "nope": executable file not found in $PATH');
  };
  await createPod(harness, newPod('broken', harness.nodeName, { restartPolicy: 'Never', containers: [newContainer('main', { command: ['nope'] })] }));

  const pod = await waitFor('StartError', async () => {
    const current = await harness.getPod('broken');
    return current.status?.containerStatuses?.[0]?.state?.terminated?.reason === 'StartError' ? current : undefined;
  });
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(terminated?.exitCode, 128);
  t.is(terminated?.message, 'exec: "nope": executable file not found in $PATH');
  t.is(pod.status?.phase, 'Failed');
  t.is(pod.status?.containerStatuses?.[0]?.restartCount, 0);
});

test('image removed while running gives ErrImageNeverPull on restart', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = fake(harness);
  runtime.images.add('lab:1');
  const reasons = new Set<string>();
  const watch = harness.api.client.watch<Pod>(pods, { namespace: 'default', fieldSelector: 'metadata.name=fleeting' }, (event) => {
    const waiting = event.object.status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason) reasons.add(waiting.reason);
  });
  t.teardown(() => watch.stop());
  await createPod(harness, newPod('fleeting', harness.nodeName, { containers: [newContainer('main', { image: 'lab:1', imagePullPolicy: 'Never' })] }));
  const running = await waitFor('pod Running', async () => (await harness.getPod('fleeting')).status?.containerStatuses?.[0]?.state?.running !== undefined);
  t.true(running);

  await runtime.removeImage('lab:1');
  const [container] = [...runtime.containers.values()];
  runtime.kill(container?.status.id ?? '', 1);
  const status = await waitFor('ErrImageNeverPull', async () => {
    const current = (await harness.getPod('fleeting')).status?.containerStatuses?.[0];
    return current?.state?.waiting?.reason === 'ErrImageNeverPull' ? current : undefined;
  });
  t.is(status.state?.waiting?.message, 'Container image "lab:1" is not present with pull policy of Never');
  t.is(status.lastState?.terminated?.exitCode, 1);
  t.is(status.restartCount, 0);
  t.false(reasons.has('CrashLoopBackOff'));
});

test('failed postStart hook kills and restarts the container', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('hooked', harness.nodeName, { containers: [newContainer('main', { lifecycle: { postStart: { exec: { command: ['false'] } } } })] }));
  await waitFor('a restart', async () => ((await harness.getPod('hooked')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  const reasons = await waitFor('FailedPostStartHook and Killing events', async () => {
    const found = (await podEvents(harness, 'hooked')).map((event) => event.reason);
    return found.includes('FailedPostStartHook') && found.includes('Killing') ? found : undefined;
  });
  t.true(reasons.includes('Started'));
});

test('readiness probe failure keeps the pod unready', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await createPod(harness, newPod('unready', harness.nodeName, {
    containers: [newContainer('main', { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } })],
  }));
  await waitFor('Unhealthy event', async () => (await podEvents(harness, 'unready')).some((event) => event.reason === 'Unhealthy'));
  const pod = await waitFor('pod Running', async () => {
    const current = await harness.getPod('unready');
    return current.status?.phase === 'Running' ? current : undefined;
  });
  t.is(pod.status?.containerStatuses?.[0]?.ready, false);
  const ready = pod.status?.conditions?.find((condition) => condition.type === 'Ready');
  t.is(ready?.status, 'False');
  t.is(ready?.reason, 'ContainersNotReady');
  t.is(ready?.message, 'containers with unready status: [main]');
});

test('image change restarts the container', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  fake(harness).images.add('tinykube/other');
  await createPod(harness, newPod('swap', harness.nodeName));
  await waitFor('pod Running', async () => (await harness.getPod('swap')).status?.phase === 'Running');
  await harness.api.client.patch(pods, 'default', 'swap', { spec: { containers: [{ name: 'main', image: 'tinykube/other' }] } }, 'strategic');
  const status = await waitFor('new image running', async () => {
    const current = (await harness.getPod('swap')).status?.containerStatuses?.[0];
    return current?.image === 'tinykube/other' && current.state?.running ? current : undefined;
  });
  t.is(status.restartCount, 1);
  const killing = await waitFor('Killing event', async () => (await podEvents(harness, 'swap')).find((event) => event.reason === 'Killing'));
  t.is(killing.message, 'Container main definition changed, will be restarted');
});
