// Watch streams: initial state, resume from a resourceVersion, selector
// transitions, bookmarks, timeouts and 410 Expired past the change log.

import test from 'ava';
import http from 'node:http';
import { ApiError, isGone } from '../../api/client.js';
import { pods } from '../../api/resources.js';
import type { Pod, Status, WatchEvent } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

function newPod(name: string, labels: Record<string, string> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
}

/** Collects watch events until done returns true or the deadline passes. */
async function collect(server: TestApiserver, options: Parameters<TestApiserver['client']['watch']>[1],
  done: (events: WatchEvent<Pod>[]) => boolean, action?: () => Promise<void>): Promise<WatchEvent<Pod>[]> {
  const events: WatchEvent<Pod>[] = [];
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  const watch = server.client.watch<Pod>(pods, options, (event) => {
    events.push(event);
    if (done(events)) resolveDone();
  });
  const deadline = setTimeout(resolveDone, 10_000);
  try {
    await action?.();
    await Promise.race([finished, watch.done.catch(() => undefined)]);
  } finally {
    clearTimeout(deadline);
    watch.stop();
  }
  return events;
}

test('watch without resourceVersion starts with ADDED for existing objects', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  await server.client.create(pods, newPod('existing'));
  const events = await collect(server, { namespace: 'default' }, (seen) => seen.length >= 2,
    async () => void (await server.client.create(pods, newPod('later'))));
  t.deepEqual(events.map((event) => `${event.type} ${event.object.metadata.name}`), ['ADDED existing', 'ADDED later']);
});

test('watch resumes after a resourceVersion', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const first = await server.client.create(pods, newPod('one'));
  await server.client.create(pods, newPod('two'));
  const labelled = await server.client.get<Pod>(pods, 'default', 'one');
  await server.client.update(pods, { ...labelled, metadata: { ...labelled.metadata, labels: { x: 'y' } } });
  await server.client.delete(pods, 'default', 'two');
  const events = await collect(server, { namespace: 'default', resourceVersion: first.metadata.resourceVersion }, (seen) => seen.length >= 3);
  t.deepEqual(events.map((event) => `${event.type} ${event.object.metadata.name}`), ['ADDED two', 'MODIFIED one', 'DELETED two']);
  const versions = events.map((event) => Number(event.object.metadata.resourceVersion));
  t.deepEqual([...versions].sort((a, b) => a - b), versions);
  t.true(versions[0] > Number(first.metadata.resourceVersion));
});

test('selector transitions become ADDED and DELETED', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const pod = await server.client.create(pods, newPod('mover', { tier: 'a' }));
  const events = await collect(server, { namespace: 'default', labelSelector: 'tier=b', resourceVersion: pod.metadata.resourceVersion },
    (seen) => seen.length >= 2, async () => {
      const current = await server.client.get<Pod>(pods, 'default', 'mover');
      const moved = await server.client.update(pods, { ...current, metadata: { ...current.metadata, labels: { tier: 'b' } } });
      await server.client.update(pods, { ...moved, metadata: { ...moved.metadata, labels: { tier: 'c' } } });
    });
  t.deepEqual(events.map((event) => event.type), ['ADDED', 'DELETED']);
});

test('bookmarks carry the current resourceVersion', async (t) => {
  const server = await startTestApiserver({ bookmarkIntervalMs: 100 });
  t.teardown(() => server.close());
  const pod = await server.client.create(pods, newPod('marked'));
  const events = await collect(server, { namespace: 'default', allowWatchBookmarks: true, resourceVersion: pod.metadata.resourceVersion },
    (seen) => seen.some((event) => event.type === 'BOOKMARK'));
  const bookmark = events.find((event) => event.type === 'BOOKMARK');
  t.truthy(bookmark);
  t.is(bookmark?.object.kind, 'Pod');
  t.true(Number(bookmark?.object.metadata.resourceVersion) >= Number(pod.metadata.resourceVersion));
});

test('timeoutSeconds ends the stream', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const started = Date.now();
  const watch = server.client.watch(pods, { namespace: 'default', timeoutSeconds: 1 }, () => {});
  await watch.done;
  t.true(Date.now() - started < 5000);
});

test('resuming past the change log is 410 Expired', async (t) => {
  const server = await startTestApiserver({ watchWindow: 5 });
  t.teardown(() => server.close());
  const first = await server.client.create(pods, newPod('old'));
  for (let i = 0; i < 10; i++) await server.client.create(pods, newPod(`churn-${i}`));
  const events = await collect(server, { namespace: 'default', resourceVersion: first.metadata.resourceVersion }, (seen) => seen.length >= 1);
  t.is(events.length, 1);
  t.is(events[0].type, 'ERROR');
  const status = events[0].object as unknown as Status;
  t.is(status.code, 410);
  t.is(status.reason, 'Expired');
  t.regex(status.message ?? '', /too old resource version/);
  t.true(isGone(new ApiError(status, 'WATCH', '/api/v1/pods')));
});

test('list resourceVersion semantics', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const first = await server.client.create(pods, newPod('versioned'));
  await server.client.create(pods, newPod('newer'));
  const any = await server.client.list<Pod>(pods, { namespace: 'default', resourceVersion: '0' });
  t.is(any.items.length, 2);
  const notOlder = await server.client.list<Pod>(pods, { namespace: 'default', resourceVersion: first.metadata.resourceVersion });
  t.is(notOlder.items.length, 2);
  const exact = await t.throwsAsync<ApiError>(server.client.request('GET', `/api/v1/namespaces/default/pods?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`));
  t.is(exact?.code, 410);
  const future = await t.throwsAsync<ApiError>(server.client.list(pods, { namespace: 'default', resourceVersion: String(Number(any.metadata.resourceVersion) + 1000) }));
  t.is(future?.code, 504);
});

test('watch of one object by its path', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  await server.client.create(pods, newPod('target'));
  await server.client.create(pods, newPod('other'));
  const lines = await new Promise<string[]>((resolve, reject) => {
    http.get(`${server.url}/api/v1/namespaces/default/pods/target?watch=true&timeoutSeconds=1`, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text.trim().split('\n')));
    }).on('error', reject);
  });
  const names = lines.map((line) => (JSON.parse(line) as WatchEvent<Pod>).object.metadata.name);
  t.deepEqual(names, ['target']);
});

test('watch of a malformed resourceVersion is BadRequest', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const watch = server.client.watch(pods, { namespace: 'default', resourceVersion: 'abc' }, () => {});
  const error = await t.throwsAsync<ApiError>(watch.done);
  t.is(error?.code, 400);
});

test('watch is a chunked JSON stream', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
    const request = http.get(`${server.url}/api/v1/pods?watch=true&timeoutSeconds=1`, (response) => {
      resolve(response.headers);
      response.resume();
    });
    request.on('error', reject);
  });
  t.is(headers['transfer-encoding'], 'chunked');
  t.regex(headers['content-type'] ?? '', /application\/json/);
});
