import test from 'ava';

import { formatPodInspection, inspectPodSandbox } from '../../runtime/inspect.js';
import { newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
test.before(async () => {
  env = await newTestRuntime();
});
test.after.always(async () => {
  await env?.dispose();
});

test('inspect shows namespaces, cgroups, overlay and network', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { resources: { qosClass: 'Burstable', memoryLimit: 2 ** 27 } }));
  const first = await startSleeper(env.runtime, sandboxId, { name: 'first', resources: { memoryLimit: 2 ** 26, cpuLimit: 500 } });
  await startSleeper(env.runtime, sandboxId, { name: 'second' });

  const inspection = await inspectPodSandbox(env.runtime, sandboxId);
  t.is(inspection.pid, (await env.runtime.podSandboxStatus(sandboxId)).pid ?? -1);
  t.truthy(inspection.ip);
  t.truthy(inspection.hostVeth);
  t.deepEqual(inspection.processes.map((process) => process.name), ['sandbox', 'first', 'second']);

  const container = inspection.processes[1];
  t.is(container.pid, first.pid);
  const shared = (type: string) => container.namespaces.find((namespace) => namespace.type === type)?.sharedWith ?? [];
  t.deepEqual(shared('net'), ['sandbox', 'second']);
  t.deepEqual(shared('ipc'), ['sandbox', 'second']);
  t.deepEqual(shared('pid'), []);
  t.deepEqual(shared('mnt'), []);
  t.true(shared('user').includes('host'));
  t.is(container.cgroup.memoryMax, String(2 ** 26));
  t.regex(container.cgroup.cpuMax, /50000/);
  t.deepEqual(container.overlay?.lowerdirs, [env.layer]);

  const text = formatPodInspection(inspection);
  t.regex(text, /Sandbox PID: {2}\d+/);
  t.regex(text, /net +\d+ +shared with sandbox, second/);
  t.regex(text, /upperdir=/);
  await env.runtime.removePodSandbox(sandboxId);
});
