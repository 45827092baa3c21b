import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedBackoff } from '../../kubelet/hollow/backoff.js';

function startBackoff(initialMs: number, maxMs: number) {
  const retried: string[] = [];
  const backoff = new KeyedBackoff({ initialMs, maxMs }, (key) => retried.push(key));
  return { backoff, retried };
}

test('backoff doubles up to maximum', (t) => {
  const { backoff } = startBackoff(1000, 30_000);
  t.teardown(() => backoff.stop());
  const delays = Array.from({ length: 8 }, () => backoff.schedule('default/web').delayMs);
  t.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  t.is(backoff.schedule('default/web').failures, 9);
});

test('backoff stays finite after many failures', (t) => {
  const { backoff } = startBackoff(1000, 30_000);
  t.teardown(() => backoff.stop());
  for (let i = 0; i < 2000; i++) backoff.schedule('default/web');
  t.is(backoff.schedule('default/web').delayMs, 30_000);
});

test('backoff keys are independent', (t) => {
  const { backoff } = startBackoff(1000, 30_000);
  t.teardown(() => backoff.stop());
  backoff.schedule('default/a');
  backoff.schedule('default/a');
  t.is(backoff.schedule('default/b').delayMs, 1000);
  t.is(backoff.size, 2);
});

test('reset restarts backoff', (t) => {
  const { backoff } = startBackoff(1000, 30_000);
  t.teardown(() => backoff.stop());
  backoff.schedule('default/web');
  backoff.schedule('default/web');
  backoff.reset('default/web');
  t.false(backoff.isWaiting('default/web'));
  t.is(backoff.size, 0);
  t.deepEqual(backoff.schedule('default/web'), { delayMs: 1000, failures: 1 });
});

test('backoff runs one retry per key', async (t) => {
  const { backoff, retried } = startBackoff(20, 40);
  t.teardown(() => backoff.stop());
  backoff.schedule('default/web');
  backoff.schedule('default/web');
  backoff.schedule('default/other');
  t.true(backoff.isWaiting('default/web'));
  await sleep(120);
  t.deepEqual(retried.sort(), ['default/other', 'default/web']);
  t.false(backoff.isWaiting('default/web'));
  // A key keeps its failures after its retry has run, until a reset.
  t.is(backoff.schedule('default/web').failures, 3);
});

test('stop cancels every retry', async (t) => {
  const { backoff, retried } = startBackoff(20, 40);
  backoff.schedule('default/a');
  backoff.schedule('default/b');
  backoff.stop();
  await sleep(80);
  t.deepEqual(retried, []);
  t.is(backoff.size, 0);
});

test('backoff rejects invalid bounds', (t) => {
  const retry = () => {};
  t.throws(() => new KeyedBackoff({ initialMs: 0, maxMs: 1000 }, retry), { instanceOf: RangeError });
  t.throws(() => new KeyedBackoff({ initialMs: 2000, maxMs: 1000 }, retry), { instanceOf: RangeError });
  t.throws(() => new KeyedBackoff({ initialMs: Number.NaN, maxMs: 1000 }, retry), { instanceOf: RangeError });
});
