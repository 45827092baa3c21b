import test from 'ava';
import type { ReadonlyDeep } from '../../api/informer.js';
import type { Pod, PodTemplateSpec } from '../../api/types.js';
import { canonicalJson, computePodTemplateHash, fnv32a, safeEncodeString, templatesEqualIgnoringHash } from '../../controllers/deployment/hash.js';
import { replicaSetAnnotations } from '../../controllers/deployment/replicasets.js';
import { Expectations } from '../../controllers/framework/expectations.js';
import { evictionTime, reconcileTaints } from '../../controllers/nodelifecycle/taints.js';
import { podsToDelete } from '../../controllers/replicaset/scaledown.js';
import { calculateReplicaSetStatus } from '../../controllers/replicaset/status.js';
import { slowStartBatch } from '../../controllers/replicaset/controller.js';
import { parseDurationSeconds } from '../../controllers/cmd.js';
import { deployment, pod, rs } from './builders.js';

const fnvVectors: [string, number][] = [['', 0x811c9dc5], ['a', 0xe40c292c], ['foobar', 0xbf9cf968]];
for (const [input, expected] of fnvVectors) {
  test(`fnv32a of "${input}"`, (t) => {
    t.is(fnv32a(Buffer.from(input)), expected);
  });
}

test('safe encoding maps digits onto the vowel-free alphabet', (t) => {
  t.is(safeEncodeString('0123456789'), '456789bcdf');
});

const template: PodTemplateSpec = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } };

test('pod template hash is stable and ignores key order', (t) => {
  const reordered: PodTemplateSpec = { spec: { containers: [{ image: 'busybox:1', name: 'app' }] }, metadata: { labels: { app: 'web' } } };
  const hash = computePodTemplateHash(template);
  t.regex(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  t.is(computePodTemplateHash(reordered), hash);
  t.not(computePodTemplateHash(template, 1), hash);
  t.not(computePodTemplateHash({ ...template, spec: { containers: [{ name: 'app', image: 'busybox:2' }] } }), hash);
});

test('templates compare equal without hash label, nulls and empty maps', (t) => {
  const copied = { metadata: { creationTimestamp: null, labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'app', image: 'busybox:1', resources: {} }] } };
  t.true(templatesEqualIgnoringHash(template, copied as unknown as ReadonlyDeep<PodTemplateSpec>));
  t.is(canonicalJson({ b: 1, a: [] }), '{"b":1}');
});

test('revision annotations record the history of a reused replica set', (t) => {
  const d = { ...deployment(2), metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'undo', 'deployment.kubernetes.io/revision': '2' } } };
  const old = rs({ name: 'web-1', replicas: 0, annotations: { 'deployment.kubernetes.io/revision': '1' } });
  const annotations = replicaSetAnnotations(d, old, 3);
  t.is(annotations['deployment.kubernetes.io/revision'], '3');
  t.is(annotations['deployment.kubernetes.io/revision-history'], '1');
  t.is(annotations['kubernetes.io/change-cause'], 'undo');
  t.is(replicaSetAnnotations(d, { ...old, metadata: { ...old.metadata, annotations: annotations } }, 5)['deployment.kubernetes.io/revision-history'], '1,3');
});

const readyEarly = '2026-01-01T00:00:00Z';
const readyLate = '2026-01-01T01:00:00Z';
const deletionOrder: [string, ReadonlyDeep<Pod>[], string[]][] = [
  ['unscheduled first', [pod({ name: 'scheduled', node: 'a', readySince: readyEarly }), pod({ name: 'unscheduled', phase: 'Pending' })], ['unscheduled', 'scheduled']],
  ['pending before running', [pod({ name: 'running', node: 'a' }), pod({ name: 'pending', node: 'a', phase: 'Pending' })], ['pending', 'running']],
  ['not ready before ready', [pod({ name: 'ready', node: 'a', readySince: readyEarly }), pod({ name: 'notready', node: 'a' })], ['notready', 'ready']],
  ['lower deletion cost first', [pod({ name: 'costly', node: 'a', cost: 10 }), pod({ name: 'cheap', node: 'b', cost: -1 })], ['cheap', 'costly']],
  ['crowded node first', [pod({ name: 'alone', node: 'a' }), pod({ name: 'crowded1', node: 'b', created: readyLate }), pod({ name: 'crowded2', node: 'b' })], ['crowded1', 'crowded2', 'alone']],
  ['ready for less time first', [pod({ name: 'old', node: 'a', readySince: readyEarly }), pod({ name: 'fresh', node: 'b', readySince: readyLate })], ['fresh', 'old']],
  ['more restarts first', [pod({ name: 'stable', node: 'a' }), pod({ name: 'flaky', node: 'b', restarts: 3 })], ['flaky', 'stable']],
  ['newer first', [pod({ name: 'older', node: 'a', created: readyEarly }), pod({ name: 'newer', node: 'b', created: readyLate })], ['newer', 'older']],
];

for (const [name, pods, expected] of deletionOrder) {
  test(`scale-down order: ${name}`, (t) => {
    t.deepEqual(podsToDelete(pods, pods.length).map((candidate) => candidate.metadata.name), expected);
  });
}

test('scale-down returns only the pods asked for', (t) => {
  const pods = [pod({ name: 'a', node: 'x', readySince: readyEarly }), pod({ name: 'b', phase: 'Pending' })];
  t.deepEqual(podsToDelete(pods, 1).map((candidate) => candidate.metadata.name), ['b']);
  t.deepEqual(podsToDelete(pods, 0), []);
});

test('slow start batches double and stop at a failure', async (t) => {
  const batches: number[] = [];
  let calls = 0;
  let inFlight = 0;
  const result = await slowStartBatch(10, async () => {
    const call = ++calls;
    inFlight++;
    batches.push(inFlight);
    await Promise.resolve();
    inFlight--;
    if (call === 5) throw new Error('quota exceeded');
  });
  // Batches of 1, 2 and 4: the failure in the third batch stops the fourth.
  t.is(calls, 7);
  t.is(result.successes, 6);
  t.regex(String(result.error), /quota exceeded/);
  t.is(Math.max(...batches), 4);
});

test('expectations wait for observed creations and deletions', (t) => {
  let now = 0;
  const expectations = new Expectations({ now: () => now, ttlMs: 1000 });
  t.true(expectations.satisfied('default/web'));
  expectations.expectCreations('default/web', 2);
  t.false(expectations.satisfied('default/web'));
  expectations.creationObserved('default/web');
  expectations.creationObserved('default/web');
  t.true(expectations.satisfied('default/web'));

  expectations.expectDeletions('default/web', ['default/web-a']);
  expectations.deletionObserved('default/web', 'default/web-b');
  t.false(expectations.satisfied('default/web'));
  now = 1001;
  t.true(expectations.satisfied('default/web'), 'expectations expire after their TTL');
});

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const, timeAdded: '2026-01-01T00:00:00Z' };
const added = Date.parse(unreachable.timeAdded);
const evictions: [string, Pod['spec']['tolerations'], number | undefined][] = [
  ['no toleration uses the default', undefined, added + 60_000],
  ['the apiserver default toleration uses the configured default', [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], added + 60_000],
  ['an explicit toleration time wins', [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }], added + 5000],
  ['a toleration without time tolerates for ever', [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }], undefined],
  ['an empty key with Exists tolerates every taint', [{ operator: 'Exists' }], undefined],
];

for (const [name, tolerations, expected] of evictions) {
  test(`eviction time: ${name}`, (t) => {
    const candidate = { metadata: { name: 'p' }, spec: { containers: [], tolerations } } as ReadonlyDeep<Pod>;
    t.is(evictionTime(candidate, [unreachable], 60, added + 1), expected);
  });
}

test('eviction time of an untolerated custom NoExecute taint is now', (t) => {
  const candidate = { metadata: { name: 'p' }, spec: { containers: [] } } as ReadonlyDeep<Pod>;
  t.is(evictionTime(candidate, [{ key: 'dedicated', effect: 'NoExecute', timeAdded: unreachable.timeAdded }], 60, added + 1), added);
});

test('condition taints keep their time and leave other taints alone', (t) => {
  const current = [{ key: 'dedicated', effect: 'NoSchedule' as const }, unreachable];
  const kept = reconcileTaints(current, [{ key: unreachable.key, effect: 'NoExecute' }, { key: unreachable.key, effect: 'NoSchedule' }], '2026-01-02T00:00:00Z');
  t.deepEqual(kept.find((taint) => taint.effect === 'NoExecute' && taint.key === unreachable.key)?.timeAdded, unreachable.timeAdded);
  t.is(kept.length, 3);
  t.deepEqual(reconcileTaints(current, [], '2026-01-02T00:00:00Z'), [{ key: 'dedicated', effect: 'NoSchedule' }]);
});

const durations: [string, number][] = [['40s', 40], ['1m30s', 90], ['500ms', 0.5], ['2h', 7200], ['300', 300]];
for (const [text, seconds] of durations) {
  test(`duration flag ${text}`, (t) => {
    t.is(parseDurationSeconds(text), seconds);
  });
}

test('duration flag rejects a bad unit', (t) => {
  t.throws(() => parseDurationSeconds('40 days'), { message: /invalid duration "40 days"/ });
});

test('replica failure condition is added once and cleared by a clean sync', (t) => {
  const failing = rs({ name: 'web', replicas: 2 });
  const now = Date.parse('2026-01-01T00:00:00Z');
  const failed = calculateReplicaSetStatus(failing, [], now, { reason: 'FailedCreate', message: 'pods "web-" is forbidden: exceeded quota' }).status;
  const condition = failed.conditions?.find((candidate) => candidate.type === 'ReplicaFailure');
  t.is(condition?.status, 'True');
  t.is(condition?.reason, 'FailedCreate');
  t.is(condition?.message, 'pods "web-" is forbidden: exceeded quota');

  const again = calculateReplicaSetStatus({ ...failing, status: failed }, [], now + 1000, { reason: 'FailedCreate', message: 'other' }).status;
  t.is(again.conditions?.find((candidate) => candidate.type === 'ReplicaFailure')?.message, 'pods "web-" is forbidden: exceeded quota');

  const cleared = calculateReplicaSetStatus({ ...failing, status: failed }, [], now + 2000).status;
  t.is(cleared.conditions, undefined);
});
