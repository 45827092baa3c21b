import test from 'ava';
import { newPodInfo } from '../../scheduler/podinfo.js';
import { SchedulingQueue } from '../../scheduler/queue.js';
import { newPod } from './builders.js';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('pop returns higher priority first, then oldest', async (t) => {
  const clock = fakeClock();
  const queue = new SchedulingQueue({ now: clock.now });
  queue.add(newPodInfo(newPod('old')));
  clock.advance(1);
  queue.add(newPodInfo(newPod('new')));
  clock.advance(1);
  queue.add(newPodInfo(newPod('urgent', { spec: { priority: 10 } })));
  t.is((await queue.pop())?.podInfo.key, 'default/urgent');
  t.is((await queue.pop())?.podInfo.key, 'default/old');
  t.is((await queue.pop())?.podInfo.key, 'default/new');
  queue.close();
});

test('pop waits for an add', async (t) => {
  const queue = new SchedulingQueue();
  const popped = queue.pop();
  queue.add(newPodInfo(newPod('late')));
  t.is((await popped)?.podInfo.key, 'default/late');
  queue.close();
});

test('close releases a waiting pop', async (t) => {
  const queue = new SchedulingQueue();
  const popped = queue.pop();
  queue.close();
  t.is(await popped, undefined);
});

test('unschedulable pod waits for a relevant event', async (t) => {
  const queue = new SchedulingQueue({ initialBackoffMs: 0 });
  queue.add(newPodInfo(newPod('p')));
  const entry = await queue.pop();
  if (!entry) return t.fail();
  entry.unschedulablePlugins = new Set(['NodeResourcesFit']);
  const cycle = queue.schedulingCycle;
  queue.addUnschedulable(entry, cycle);
  t.deepEqual(queue.length, { active: 0, backoff: 0, unschedulable: 1 });

  t.is(queue.moveOnEvent({ label: 'NodeUpdate', plugins: new Set(['NodeAffinity']) }), 0);
  t.is(queue.length.unschedulable, 1);
  t.is(queue.moveOnEvent({ label: 'AssignedPodDelete', plugins: new Set(['NodeResourcesFit']) }), 1);
  t.is((await queue.pop())?.attempts, 2);
  queue.close();
});

test('event during an attempt sends the pod to backoff', async (t) => {
  const clock = fakeClock();
  const queue = new SchedulingQueue({ now: clock.now, initialBackoffMs: 1_000 });
  queue.add(newPodInfo(newPod('p')));
  const entry = await queue.pop();
  if (!entry) return t.fail();
  const cycle = queue.schedulingCycle;
  queue.moveOnEvent({ label: 'NodeAdd' });
  queue.addUnschedulable(entry, cycle);
  t.deepEqual(queue.length, { active: 0, backoff: 1, unschedulable: 0 });
  queue.close();
});

test('backoff doubles up to the maximum', async (t) => {
  const clock = fakeClock();
  const queue = new SchedulingQueue({ now: clock.now, initialBackoffMs: 100, maxBackoffMs: 300 });
  queue.add(newPodInfo(newPod('p')));
  const entry = await queue.pop();
  if (!entry) return t.fail();
  const durations: number[] = [];
  for (const attempts of [1, 2, 3, 4]) {
    entry.attempts = attempts;
    queue.addBackoff(entry);
    durations.push(entry.backoffExpiry - clock.now());
  }
  t.deepEqual(durations, [100, 200, 300, 300]);
  queue.close();
});

test('backoff expiry moves the pod to active', async (t) => {
  const queue = new SchedulingQueue({ initialBackoffMs: 20 });
  queue.add(newPodInfo(newPod('p')));
  const entry = await queue.pop();
  if (!entry) return t.fail();
  queue.addBackoff(entry);
  t.is(queue.length.backoff, 1);
  const again = await queue.pop();
  t.is(again?.podInfo.key, 'default/p');
  t.is(again?.attempts, 2);
  queue.close();
});

test('spec change moves an unschedulable pod', async (t) => {
  const queue = new SchedulingQueue({ initialBackoffMs: 0 });
  queue.add(newPodInfo(newPod('p')));
  const entry = await queue.pop();
  if (!entry) return t.fail();
  queue.addUnschedulable(entry, queue.schedulingCycle);
  queue.update(newPodInfo(newPod('p')), false);
  t.is(queue.length.unschedulable, 1);
  queue.update(newPodInfo(newPod('p', { spec: { tolerations: [{ operator: 'Exists' }] } })), true);
  t.is(queue.length.unschedulable, 0);
  t.is(queue.length.active, 1);
  queue.close();
});
