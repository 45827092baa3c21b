// Liveness, readiness and startup probes of each kind on the real runtime.

import test from 'ava';
import { events, pods } from '../../api/resources.js';
import type { Container, Event, Pod } from '../../api/types.js';
import { newContainer, newPod, waitFor, type Harness } from './fixtures.js';
import { isRoot, startRealHarness } from './real-runtime.js';

const realTest = isRoot ? test : test.skip;

function busybox(command: string[], overrides: Partial<Container> = {}): Container {
  return newContainer('main', { image: 'busybox', imagePullPolicy: 'Never', command, ...overrides });
}

async function podWhen(harness: Harness, name: string, description: string, check: (pod: Pod) => boolean, timeoutMs = 20_000): Promise<Pod> {
  return waitFor(`${name}: ${description}`, async () => {
    const pod = await harness.getPod(name);
    return check(pod) ? pod : undefined;
  }, timeoutMs);
}

const readyStatus = (pod: Pod) => pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status;

async function eventsOf(harness: Harness, name: string, reason: string): Promise<Event[]> {
  const list = await harness.api.client.list<Event>(events, { namespace: 'default' });
  return list.items.filter((event) => event.involvedObject.name === name && event.reason === reason);
}

realTest('exec liveness probe failure restarts the container', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('sickly', harness.nodeName, {
    containers: [busybox(['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 1000'], {
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
    })],
  }));
  const pod = await podWhen(harness, 'sickly', 'restarted', (current) => (current.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  t.truthy(pod.status?.containerStatuses?.[0]?.lastState?.terminated);
  const unhealthy = await waitFor('Unhealthy event', async () => (await eventsOf(harness, 'sickly', 'Unhealthy'))[0]);
  t.regex(unhealthy.message ?? '', /^Liveness probe failed: .*\/tmp\/healthy/);
  t.is(unhealthy.involvedObject.fieldPath, 'spec.containers{main}');
  const killing = await waitFor('Killing event', async () => (await eventsOf(harness, 'sickly', 'Killing'))[0]);
  t.is(killing.message, 'Container main failed liveness probe, will be restarted');
});

realTest('httpGet readiness probe drives the Ready condition', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('server', harness.nodeName, {
    containers: [busybox(['sh', '-c', 'mkdir -p /www; httpd -p 8080 -h /www; sleep 2; echo ok > /www/ready.html; sleep 1000'], {
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/ready.html', port: 'http' }, periodSeconds: 1 },
    })],
  }));
  const notReady = await podWhen(harness, 'server', 'Running', (current) => current.status?.phase === 'Running');
  t.is(readyStatus(notReady), 'False');
  t.is(notReady.status?.containerStatuses?.[0]?.ready, false);
  // The first attempts may find httpd not yet listening, so wait for the 404 it serves later.
  const notFound = /^Readiness probe failed: HTTP probe failed with statuscode: 404/;
  const unhealthy = await waitFor('Unhealthy event for the 404', async () =>
    (await eventsOf(harness, 'server', 'Unhealthy')).find((event) => notFound.test(event.message ?? '')));
  t.regex(unhealthy.message ?? '', notFound);

  const ready = await podWhen(harness, 'server', 'Ready', (current) => readyStatus(current) === 'True');
  t.is(ready.status?.containerStatuses?.[0]?.ready, true);
  t.is(ready.status?.containerStatuses?.[0]?.restartCount, 0);
});

realTest('tcpSocket startup probe holds started until the port opens', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('late', harness.nodeName, {
    containers: [busybox(['sh', '-c', 'sleep 2; mkdir -p /www; httpd -f -p 9000 -h /www'], {
      startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
    })],
  }));
  const starting = await podWhen(harness, 'late', 'Running', (current) => current.status?.phase === 'Running');
  t.is(starting.status?.containerStatuses?.[0]?.started, false);
  t.is(readyStatus(starting), 'False');

  const started = await podWhen(harness, 'late', 'started', (current) => current.status?.containerStatuses?.[0]?.started === true);
  t.is(readyStatus(started), 'True');
  t.is(started.status?.containerStatuses?.[0]?.restartCount, 0);
});

realTest('tcpSocket liveness probe on a closed port restarts the container', async (t) => {
  const harness = await startRealHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('deaf', harness.nodeName, {
    containers: [busybox(['sleep', '1000'], { livenessProbe: { tcpSocket: { port: 9100 }, periodSeconds: 1, failureThreshold: 2 } })],
  }));
  await podWhen(harness, 'deaf', 'restarted', (current) => (current.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  const unhealthy = await waitFor('Unhealthy event', async () => (await eventsOf(harness, 'deaf', 'Unhealthy'))[0]);
  t.regex(unhealthy.message ?? '', /^Liveness probe failed: dial tcp [\d.]+:9100: /);
});
