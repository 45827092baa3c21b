// Pure parts of the kubelet: back-off, resources, phase and status, query parsing.

import test from 'ava';
import type { ContainerStatus as ApiContainerStatus, Pod, PodPhase } from '../../api/types.js';
import type { ContainerStatus } from '../../runtime/cri.js';
import { Backoff, formatDuration } from '../../kubelet/backoff.js';
import { podDirectoryName, podHostname, podUIDOfDirectory } from '../../kubelet/container-config.js';
import { eventName } from '../../kubelet/events.js';
import { exitStatus, parseExecQuery } from '../../kubelet/exec.js';
import { parseLogQuery } from '../../kubelet/logs.js';
import { pullPolicy } from '../../kubelet/pod-sync.js';
import { podResources } from '../../kubelet/resources.js';
import { generatePodStatus, podPhase } from '../../kubelet/status.js';
import { newContainer, newPod } from './fixtures.js';

test('backoff retries at once, then doubles to the maximum', (t) => {
  let now = 0;
  const backoff = new Backoff({ baseMs: 10_000, maxMs: 300_000, now: () => now });
  t.is(backoff.remaining('c', 0), 0);
  t.is(backoff.next('c'), 10_000);
  t.is(backoff.remaining('c', 0), 10_000);
  now = 4000;
  t.is(backoff.remaining('c', 0), 6000);
  const delays = [backoff.next('c'), backoff.next('c'), backoff.next('c'), backoff.next('c'), backoff.next('c'), backoff.next('c')];
  t.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('backoff resets after twice the maximum of quiet', (t) => {
  let now = 0;
  const backoff = new Backoff({ baseMs: 10, maxMs: 100, now: () => now });
  backoff.next('c');
  backoff.next('c');
  t.is(backoff.delay('c'), 20);
  now = 201;
  t.is(backoff.remaining('c', 200), 0);
  t.is(backoff.next('c'), 10);
});

test('formatDuration prints as Go does', (t) => {
  t.is(formatDuration(10_000), '10s');
  t.is(formatDuration(80_000), '1m20s');
  t.is(formatDuration(300_000), '5m0s');
});

test('podResources sums containers and respects init containers', (t) => {
  const pod = newPod('p', 'n', {
    initContainers: [newContainer('init', { resources: { limits: { cpu: '2', memory: '512Mi' } } })],
    containers: [
      newContainer('a', { resources: { limits: { cpu: '250m', memory: '128Mi' } } }),
      newContainer('b', { resources: { requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '256Mi' } } }),
    ],
  });
  const resources = podResources(pod);
  t.is(resources.qosClass, 'Burstable');
  t.is(resources.memoryLimit, 512 * 2 ** 20);
  t.is(resources.cpuLimit, 2000);
  t.is(resources.cpuRequest, 2000);
});

test('podResources has no limit when one container lacks it', (t) => {
  const pod = newPod('p', 'n', { containers: [newContainer('a', { resources: { limits: { memory: '64Mi' } } }), newContainer('b')] });
  const resources = podResources(pod);
  t.is(resources.memoryLimit, undefined);
  t.is(resources.cpuLimit, undefined);
  t.is(resources.qosClass, 'Burstable');
});

test('pullPolicy defaults as API defaulting does', (t) => {
  t.is(pullPolicy({ name: 'c', image: 'busybox' }), 'Always');
  t.is(pullPolicy({ name: 'c', image: 'busybox:latest' }), 'Always');
  t.is(pullPolicy({ name: 'c', image: 'busybox:1.36' }), 'IfNotPresent');
  t.is(pullPolicy({ name: 'c', image: 'localhost:5000/app' }), 'Always');
  t.is(pullPolicy({ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
});

function running(name: string): ApiContainerStatus {
  return { name, ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} } };
}

function exited(name: string, exitCode: number): ApiContainerStatus {
  return { name, ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode } } };
}

function crashLooping(name: string): ApiContainerStatus {
  return { name, ready: false, restartCount: 1, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };
}

function creating(name: string): ApiContainerStatus {
  return { name, ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } };
}

const phaseCases: { title: string; policy: 'Always' | 'OnFailure' | 'Never'; init?: ApiContainerStatus[]; containers: ApiContainerStatus[]; phase: PodPhase }[] = [
  { title: 'creating', policy: 'Always', containers: [creating('a')], phase: 'Pending' },
  { title: 'running', policy: 'Always', containers: [running('a'), exited('b', 0)], phase: 'Running' },
  { title: 'crash loop', policy: 'Always', containers: [crashLooping('a')], phase: 'Running' },
  { title: 'all exited, Always', policy: 'Always', containers: [exited('a', 0)], phase: 'Running' },
  { title: 'all succeeded, OnFailure', policy: 'OnFailure', containers: [exited('a', 0), exited('b', 0)], phase: 'Succeeded' },
  { title: 'one failed, OnFailure', policy: 'OnFailure', containers: [exited('a', 0), exited('b', 1)], phase: 'Running' },
  { title: 'one failed, Never', policy: 'Never', containers: [exited('a', 0), exited('b', 1)], phase: 'Failed' },
  { title: 'init running', policy: 'Always', init: [running('i')], containers: [creating('a')], phase: 'Pending' },
  { title: 'init failed, Never', policy: 'Never', init: [exited('i', 1)], containers: [creating('a')], phase: 'Failed' },
  { title: 'init failed, Always', policy: 'Always', init: [crashLooping('i')], containers: [creating('a')], phase: 'Pending' },
];

for (const testCase of phaseCases) {
  test(`podPhase: ${testCase.title}`, (t) => {
    const pod = newPod('p', 'n', { restartPolicy: testCase.policy });
    t.is(podPhase(pod, testCase.init ?? [], testCase.containers), testCase.phase);
  });
}

const terminalPhaseCases: { title: string; policy: 'Always' | 'OnFailure' | 'Never'; containers: ApiContainerStatus[]; phase: PodPhase }[] = [
  { title: 'killed, Always', policy: 'Always', containers: [exited('a', 143)], phase: 'Failed' },
  { title: 'all exited 0, Always', policy: 'Always', containers: [exited('a', 0), exited('b', 0)], phase: 'Succeeded' },
  { title: 'one killed, OnFailure', policy: 'OnFailure', containers: [exited('a', 0), exited('b', 137)], phase: 'Failed' },
  { title: 'never started', policy: 'Always', containers: [creating('a')], phase: 'Pending' },
];

for (const testCase of terminalPhaseCases) {
  test(`podPhase of a terminal pod: ${testCase.title}`, (t) => {
    const pod = newPod('p', 'n', { restartPolicy: testCase.policy });
    t.is(podPhase(pod, [], testCase.containers, true), testCase.phase);
  });
}

test('podDirectoryName fits NAME_MAX and ends with the uid', (t) => {
  const uid = '0f8e2a4c-8d7b-4e3a-9c1d-2b6f5e4a3c21';
  const short = newPod('web', 'n');
  short.metadata.uid = uid;
  t.is(podDirectoryName(short), `default_web_${uid}`);
  t.is(podUIDOfDirectory(podDirectoryName(short)), uid);

  const long = newPod('a'.repeat(253), 'n');
  long.metadata.uid = uid;
  t.is(podDirectoryName(long), uid);
  t.is(podUIDOfDirectory(podDirectoryName(long)), uid);

  // 8 + 210 + 1 + 36 = 255 bytes is the longest name that keeps the full form.
  const limit = newPod('b'.repeat(210), 'n');
  limit.metadata.uid = uid;
  t.is(Buffer.byteLength(podDirectoryName(limit)), 255);
  const over = newPod('b'.repeat(211), 'n');
  over.metadata.uid = uid;
  t.is(podDirectoryName(over), uid);
});

test('podHostname cuts a long pod name to 63 characters', (t) => {
  t.is(podHostname(newPod('web', 'n')), 'web');
  t.is(podHostname(newPod('a'.repeat(253), 'n')), 'a'.repeat(63));
  t.is(podHostname(newPod(`${'b'.repeat(61)}-.c`, 'n')), 'b'.repeat(61));
  t.is(podHostname(newPod('web', 'n', { hostname: 'db-0' })), 'db-0');
});

test('eventName falls back to a UUID past 253 characters', (t) => {
  const now = new Date(1_700_000_000_000);
  t.regex(eventName('web', now), /^web\.[0-9a-f]+$/);
  const long = eventName('a'.repeat(253), now);
  t.regex(long, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.true(eventName('a'.repeat(230), now).length <= 253);
});

function runtimeContainer(overrides: Partial<ContainerStatus>): ContainerStatus {
  return {
    id: 'c1', sandboxId: 's1', name: 'main', attempt: 0, state: 'CONTAINER_RUNNING', createdAt: 1_000_000, startedAt: 1_000_000,
    image: 'busybox', imageRef: 'sha256:abc', logPath: '/logs/main/0.log', labels: {}, annotations: {}, ...overrides,
  };
}

test('generatePodStatus keeps transition times and reports the last state', (t) => {
  const pod: Pod = newPod('p', 'n');
  const observed = {
    sandboxes: [{ id: 's1', state: 'SANDBOX_READY' as const, createdAt: 0, name: 'p', namespace: 'default', uid: 'u', ip: '10.1.2.3', hostname: 'p', labels: {}, annotations: {} }],
    containers: [
      runtimeContainer({ id: 'c2', attempt: 1 }),
      runtimeContainer({ id: 'c1', attempt: 0, state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled', finishedAt: 2_000_000 }),
    ],
  };
  const input = { pod, observed, waiting: new Map(), isReady: () => true, isStarted: () => true, hostIP: '192.0.2.1', now: 5_000_000 };
  const first = generatePodStatus(input);
  t.is(first.phase, 'Running');
  t.is(first.podIP, '10.1.2.3');
  t.is(first.containerStatuses?.[0]?.restartCount, 1);
  t.is(first.containerStatuses?.[0]?.containerID, 'tinykube://c2');
  t.deepEqual(first.containerStatuses?.[0]?.lastState?.terminated, {
    exitCode: 137, reason: 'OOMKilled', startedAt: '1970-01-01T00:16:40Z', finishedAt: '1970-01-01T00:33:20Z', containerID: 'tinykube://c1',
  });

  const later = generatePodStatus({ ...input, previous: first, now: 9_000_000 });
  t.is(later.startTime, first.startTime);
  t.deepEqual(later.conditions, first.conditions);
});

test('generatePodStatus keeps a terminal phase', (t) => {
  const pod: Pod = newPod('p', 'n');
  const status = generatePodStatus({
    pod, observed: { sandboxes: [], containers: [] }, previous: { phase: 'Succeeded' }, waiting: new Map(),
    isReady: () => false, isStarted: () => false, hostIP: '192.0.2.1', now: 0,
  });
  t.is(status.phase, 'Succeeded');
});

test('generatePodStatus keeps a StartError of a container that never restarts', (t) => {
  const pod: Pod = newPod('p', 'n', { restartPolicy: 'Never' });
  const observed = {
    sandboxes: [],
    containers: [runtimeContainer({ state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError', message: 'exec: "nope": not found', finishedAt: 2_000_000 })],
  };
  const status = generatePodStatus({
    pod, observed, waiting: new Map([['main', { reason: 'RunContainerError', message: 'start container main: exec: "nope": not found' }]]),
    isReady: () => false, isStarted: () => false, hostIP: '192.0.2.1', now: 3_000_000,
  });
  t.is(status.phase, 'Failed');
  t.is(status.containerStatuses?.[0]?.state?.waiting, undefined);
  t.is(status.containerStatuses?.[0]?.state?.terminated?.reason, 'StartError');
  t.is(status.containerStatuses?.[0]?.state?.terminated?.exitCode, 128);
  t.is(status.containerStatuses?.[0]?.state?.terminated?.message, 'exec: "nope": not found');
});

test('parseLogQuery reads the kubelet query parameters', (t) => {
  const options = parseLogQuery(new URLSearchParams('follow=true&tailLines=5&sinceSeconds=10&previous=true&timestamps=true&limitBytes=100'), 1_000_000);
  t.deepEqual(options, { follow: true, previous: true, timestamps: true, tailLines: 5, limitBytes: 100, sinceTime: 990_000 });
  t.is(parseLogQuery(new URLSearchParams('sinceTime=2026-01-02T03:04:05Z')).sinceTime, Date.parse('2026-01-02T03:04:05Z'));
  t.throws(() => parseLogQuery(new URLSearchParams('tailLines=x')), { message: /invalid tailLines "x"/ });
});

test('parseExecQuery reads repeated commands', (t) => {
  const request = parseExecQuery(new URLSearchParams('command=sh&command=-c&command=echo%20hi&stdout=true&stderr=true&tty=false'));
  t.deepEqual(request, { command: ['sh', '-c', 'echo hi'], stdin: false, stdout: true, stderr: true, tty: false });
  t.throws(() => parseExecQuery(new URLSearchParams('stdout=true')), { message: /missing command/ });
});

test('exitStatus follows the NonZeroExitCode convention', (t) => {
  t.deepEqual(exitStatus(['true'], 0), { metadata: {}, status: 'Success' });
  const failure = exitStatus(['sh', '-c', 'exit 3'], 3);
  t.is(failure.status, 'Failure');
  t.is(failure.reason, 'NonZeroExitCode');
  t.deepEqual(failure.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
});
