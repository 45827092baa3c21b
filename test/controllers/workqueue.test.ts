import test from 'ava';
import { WorkQueue, type Schedule } from '../../controllers/framework/workqueue.js';

/** Builds a fake clock whose timers fire only when advance() passes them. */
function fakeTimers() {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, delayMs) => {
    const timer = { at: now + delayMs, fn, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((candidate) => candidate.at <= now && !candidate.cancelled)) {
      timer.cancelled = true;
      timer.fn();
    }
  };
  return { schedule, advance, now: () => now, pending: () => timers.filter((timer) => !timer.cancelled).map((timer) => timer.at) };
}

test('workqueue hands out a key added twice once', async (t) => {
  const queue = new WorkQueue<string>();
  queue.add('a');
  queue.add('a');
  queue.add('b');
  t.is(queue.length, 2);
  t.is(await queue.get(), 'a');
  t.is(await queue.get(), 'b');
});

test('workqueue requeues a key added while it is processed', async (t) => {
  const queue = new WorkQueue<string>();
  queue.add('a');
  const key = await queue.get();
  queue.add('a');
  t.is(queue.length, 0, 'a key being processed is not handed to a second worker');
  queue.done(key ?? '');
  t.is(await queue.get(), 'a');
});

test('workqueue backs off exponentially per key until forgotten', async (t) => {
  const timers = fakeTimers();
  const queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 15, schedule: timers.schedule, now: timers.now });
  queue.addRateLimited('a');
  queue.addRateLimited('b');
  t.deepEqual(timers.pending(), [5, 5]);
  timers.advance(5);
  t.is(queue.length, 2);
  queue.addRateLimited('a');
  queue.addRateLimited('a');
  t.deepEqual(timers.pending(), [15], 'the second retry waits 10 ms and an earlier pending add wins');
  queue.addRateLimited('a');
  t.is(queue.numRequeues('a'), 4);
  t.is(queue.backoff(3), 15, 'backoff is capped at maxDelayMs');
  queue.forget('a');
  t.is(queue.numRequeues('a'), 0);
});

test('workqueue delivers to a waiting worker and ends on shutdown', async (t) => {
  const timers = fakeTimers();
  const queue = new WorkQueue<string>({ schedule: timers.schedule, now: timers.now });
  const waiting = queue.get();
  queue.addAfter('later', 100);
  timers.advance(100);
  t.is(await waiting, 'later');
  const idle = queue.get();
  queue.shutDown();
  t.is(await idle, undefined);
  queue.add('ignored');
  t.is(queue.length, 0);
});

test('workqueue has a key until it is done', async (t) => {
  const timers = fakeTimers();
  const queue = new WorkQueue<string>({ baseDelayMs: 10, schedule: timers.schedule, now: timers.now });
  t.false(queue.has('a'));
  queue.add('a');
  t.true(queue.has('a'));
  const key = await queue.get();
  t.true(queue.has('a'), 'while it is processed');
  queue.done(key as string);
  t.false(queue.has('a'));
  queue.addRateLimited('a');
  t.true(queue.has('a'), 'while it waits for its backoff');
  timers.advance(10);
  t.true(queue.has('a'));
});
