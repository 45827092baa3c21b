import test from 'ava';
import { setLogLevel } from '../../api/log.js';
import { ControllerLoop, TerminalError, type ReconcileResult } from '../../controllers/framework/controller.js';

setLogLevel('error');

/** Builds a loop whose reconciler runs outcome(key, attempt) and records every call. */
function loopWith(outcome: (key: string, attempt: number) => ReconcileResult | Error) {
  const calls: string[] = [];
  const attempts = new Map<string, number>();
  const loop = new ControllerLoop({
    name: 'test-controller',
    queue: { baseDelayMs: 1, maxDelayMs: 10 },
    reconciler: {
      reconcile: async (key) => {
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        calls.push(key);
        const result = outcome(key, attempt);
        if (result instanceof Error) throw result;
        return result;
      },
    },
  });
  return { loop, calls };
}

async function settle(ms = 100): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

test('controller loop retries a failed key until it succeeds', async (t) => {
  const { loop, calls } = loopWith((_key, attempt) => (attempt < 3 ? new Error('transient') : undefined));
  loop.start();
  loop.enqueue('default/web');
  await settle();
  await loop.stop();
  t.deepEqual(calls, ['default/web', 'default/web', 'default/web']);
  t.is(loop.queue.numRequeues('default/web'), 0, 'success forgets the backoff');
});

test('controller loop drops a key after a terminal error', async (t) => {
  const { loop, calls } = loopWith(() => new TerminalError('invalid selector'));
  loop.start();
  loop.enqueue('default/web');
  await settle();
  await loop.stop();
  t.deepEqual(calls, ['default/web']);
});

test('controller loop requeues after the requested delay', async (t) => {
  const { loop, calls } = loopWith((_key, attempt) => (attempt === 1 ? { requeueAfterMs: 20 } : undefined));
  loop.start();
  loop.enqueue('default/web');
  await settle(5);
  t.is(calls.length, 1);
  await settle(100);
  await loop.stop();
  t.is(calls.length, 2);
});
