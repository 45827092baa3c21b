import test from 'ava';
import { activeOrLatest, proportionalScale } from '../../controllers/deployment/proportional.js';
import { maxUnavailable, resolveFenceposts, scaledValue } from '../../controllers/deployment/replicasets.js';
import { newReplicaSetReplicas, oldReplicaSetsScaleDown } from '../../controllers/deployment/rolling.js';
import { deployment, rs } from './builders.js';

const fenceposts: [string, number, number | string | undefined, number | string | undefined, [number, number]][] = [
  ['defaults of 25% on 10 replicas', 10, undefined, undefined, [3, 2]],
  ['integers', 10, 3, 2, [3, 2]],
  ['both zero become one unavailable', 10, 0, 0, [0, 1]],
  ['50% of 1 replica', 1, '50%', '50%', [1, 0]],
  ['percentages of 4 replicas', 4, '30%', '30%', [2, 1]],
  ['100% unavailable', 4, 0, '100%', [0, 4]],
];

for (const [name, replicas, maxSurge, unavailable, expected] of fenceposts) {
  test(`fenceposts: ${name}`, (t) => {
    t.deepEqual(resolveFenceposts(deployment(replicas, { maxSurge, maxUnavailable: unavailable })), expected);
  });
}

test('scaled value rejects malformed percentages', (t) => {
  t.throws(() => scaledValue('abc', '25%', 10, true), { message: /invalid int-or-percent value "abc"/ });
  t.is(scaledValue('7', '25%', 10, true), 7);
});

test('max unavailable is capped at replicas and zero for Recreate', (t) => {
  t.is(maxUnavailable(deployment(3, { maxUnavailable: 5 })), 3);
  t.is(maxUnavailable(deployment(3, undefined, 'Recreate')), 0);
  t.is(maxUnavailable(deployment(0, { maxUnavailable: 1 })), 0);
});

const surge = { maxSurge: 3, maxUnavailable: 2 };
const scaleUps: [string, ReturnType<typeof deployment>, ReturnType<typeof rs>[], ReturnType<typeof rs>, number][] = [
  ['first step uses the whole surge', deployment(10, surge), [rs({ name: 'old', replicas: 10 })], rs({ name: 'new', replicas: 0 }), 3],
  ['no room while 13 pods exist', deployment(10, surge), [rs({ name: 'old', replicas: 10 })], rs({ name: 'new', replicas: 3 }), 3],
  ['room freed by an old scale-down', deployment(10, surge), [rs({ name: 'old', replicas: 8 })], rs({ name: 'new', replicas: 3 }), 5],
  ['old pods not yet deleted still count', deployment(10, surge), [rs({ name: 'old', replicas: 8, actual: 10 })], rs({ name: 'new', replicas: 3 }), 3],
  ['never beyond desired', deployment(4, { maxSurge: 10 }), [rs({ name: 'old', replicas: 4 })], rs({ name: 'new', replicas: 0 }), 4],
  ['25% surge of 10 rounds up to 3', deployment(10), [rs({ name: 'old', replicas: 10 })], rs({ name: 'new', replicas: 0 }), 3],
  ['recreate goes straight to desired', deployment(5, undefined, 'Recreate'), [], rs({ name: 'new', replicas: 0 }), 5],
];

for (const [name, d, old, newRS, expected] of scaleUps) {
  test(`new replica set size: ${name}`, (t) => {
    t.is(newReplicaSetReplicas(d, [...old, newRS], newRS), expected);
  });
}

const scaleDowns: [string, ReturnType<typeof deployment>, ReturnType<typeof rs>[], ReturnType<typeof rs>, Record<string, number>][] = [
  ['available old pods go while 8 of 10 stay available', deployment(10, surge),
    [rs({ name: 'old', replicas: 10 })], rs({ name: 'new', replicas: 3, available: 0 }), { old: 8 }],
  ['nothing while new pods are unavailable', deployment(10, surge),
    [rs({ name: 'old', replicas: 8 })], rs({ name: 'new', replicas: 5, available: 0 }), {}],
  ['unhealthy old pods go first', deployment(10, surge),
    [rs({ name: 'old', replicas: 10, available: 7 })], rs({ name: 'new', replicas: 3, available: 3 }), { old: 5 }],
  ['older replica sets shrink first', deployment(4, { maxSurge: 1, maxUnavailable: 1 }),
    [rs({ name: 'older', replicas: 2, created: '2026-01-01T00:00:00Z' }), rs({ name: 'newer', replicas: 2, created: '2026-01-02T00:00:00Z' })],
    rs({ name: 'new', replicas: 1, available: 1 }), { older: 0 }],
  ['status beyond spec is not counted twice', deployment(4, { maxSurge: 1, maxUnavailable: 0 }),
    [rs({ name: 'old', replicas: 2, available: 3 })], rs({ name: 'new', replicas: 3, available: 2 }), {}],
];

for (const [name, d, old, newRS, expected] of scaleDowns) {
  test(`old replica sets scale-down: ${name}`, (t) => {
    t.deepEqual(Object.fromEntries(oldReplicaSetsScaleDown(d, old, newRS)), expected);
  });
}

test('proportional scaling shares an increase by size', (t) => {
  const d = deployment(20, { maxSurge: 3, maxUnavailable: 2 });
  const old = rs({ name: 'old', replicas: 8, annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
  const newRS = rs({ name: 'new', replicas: 5, available: 0, annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
  t.deepEqual(Object.fromEntries(proportionalScale(d, newRS, [old])), { old: 14, new: 9 });
});

test('proportional scaling shares a decrease by size', (t) => {
  const d = deployment(5, { maxSurge: 3, maxUnavailable: 2 });
  const old = rs({ name: 'old', replicas: 8, annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
  const newRS = rs({ name: 'new', replicas: 5, available: 0, annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
  t.deepEqual(Object.fromEntries(proportionalScale(d, newRS, [old])), { old: 5, new: 3 });
});

test('proportional scaling gives rounding leftovers to the largest', (t) => {
  const d = deployment(11, { maxSurge: 0, maxUnavailable: 1 });
  const annotations = { 'deployment.kubernetes.io/max-replicas': '10' };
  const a = rs({ name: 'a', replicas: 5, created: '2026-01-01T00:00:00Z', annotations });
  const b = rs({ name: 'b', replicas: 5, created: '2026-01-02T00:00:00Z', annotations });
  // Each share is round(5 * 11 / 10) - 5 = 1, but only one pod is to add: the newer of the equal pair takes it.
  t.deepEqual(Object.fromEntries(proportionalScale(d, a, [b])), { b: 6 });
});

test('proportional scaling with one active replica set resizes it alone', (t) => {
  const d = deployment(7);
  t.deepEqual(Object.fromEntries(proportionalScale(d, rs({ name: 'new', replicas: 3 }), [rs({ name: 'old', replicas: 0 })])), { new: 7 });
});

test('saturated new replica set scales old ones to zero', (t) => {
  const d = deployment(3);
  const newRS = rs({ name: 'new', replicas: 3, available: 3, annotations: { 'deployment.kubernetes.io/desired-replicas': '3' } });
  t.deepEqual(Object.fromEntries(proportionalScale(d, newRS, [rs({ name: 'old', replicas: 1 })])), { old: 0 });
});

test('active or latest picks the newest when none is active', (t) => {
  const older = rs({ name: 'older', replicas: 0, created: '2026-01-01T00:00:00Z' });
  const newer = rs({ name: 'newer', replicas: 0, created: '2026-01-02T00:00:00Z' });
  t.is(activeOrLatest(undefined, [older, newer])?.metadata.name, 'newer');
  t.is(activeOrLatest(undefined, [rs({ name: 'a', replicas: 1 }), rs({ name: 'b', replicas: 1 })]), undefined);
});
