import test from 'ava';
import { events } from '../../api/resources.js';
import type { Event } from '../../api/types.js';
import { EventRecorder } from '../../controllers/framework/events.js';
import { startTestApiserver } from '../helpers/apiserver.js';

const involved = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'uid-1' } };

test('event recorder aggregates repeats into one event with a count', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  let now = Date.parse('2026-01-01T00:00:00Z');
  const recorder = new EventRecorder({ client: api.client, component: 'replicaset-controller', host: 'host-1', now: () => new Date(now) });

  recorder.event(involved, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
  now += 60_000;
  recorder.event(involved, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
  recorder.event(involved, 'Warning', 'FailedCreate', 'Error creating: quota');
  await recorder.flush();

  const list = (await api.client.list<Event>(events, { namespace: 'default' })).items;
  t.is(list.length, 2);
  const created = list.find((event) => event.reason === 'SuccessfulCreate');
  t.is(created?.count, 2);
  t.is(created?.firstTimestamp, '2026-01-01T00:00:00Z');
  t.is(created?.lastTimestamp, '2026-01-01T00:01:00Z');
  t.is(created?.type, 'Normal');
  t.deepEqual(created?.source, { component: 'replicaset-controller', host: 'host-1' });
  t.is(created?.involvedObject.uid, 'uid-1');
  t.regex(created?.metadata.name ?? '', /^web\.[0-9a-f]+$/);
  t.is(list.find((event) => event.reason === 'FailedCreate')?.type, 'Warning');
});

test('event recorder writes an event again after it was deleted', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  const recorder = new EventRecorder({ client: api.client, component: 'deployment-controller' });

  recorder.event(involved, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 1');
  await recorder.flush();
  const [first] = (await api.client.list<Event>(events, { namespace: 'default' })).items;
  await api.client.delete(events, 'default', first.metadata.name ?? '');

  recorder.event(involved, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 1');
  await recorder.flush();
  const list = (await api.client.list<Event>(events, { namespace: 'default' })).items;
  t.is(list.length, 1);
  t.is(list[0].reason, 'ScalingReplicaSet');
});

test('event recorder drops events beyond its backlog', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  const recorder = new EventRecorder({ client: api.client, component: 'replicaset-controller', maxBacklog: 2, concurrency: 1 });

  for (let i = 0; i < 5; i++) recorder.event(involved, 'Normal', 'SuccessfulCreate', `Created pod: web-${i}`);
  await recorder.flush();

  const list = (await api.client.list<Event>(events, { namespace: 'default' })).items;
  t.deepEqual(list.map((event) => event.message).sort(), ['Created pod: web-0', 'Created pod: web-1']);
});
