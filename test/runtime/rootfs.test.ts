import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { resolveArgs } from '../../runtime/process-spec.js';
import type { ResolvedImage } from '../../runtime/image-resolver.js';
import { execOutput, newSandboxConfig, newTestRuntime, runToCompletion, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
let sandboxId: string;
test.before(async () => {
  env = await newTestRuntime();
  sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { dnsServers: ['10.96.0.10'] }));
});
test.after.always(async () => {
  await env?.dispose();
});

test('overlay stacks layers with the top one winning', async (t) => {
  const upperLayer = join(env.root, 'layers', 'app');
  mkdirSync(join(upperLayer, 'etc'), { recursive: true });
  writeFileSync(join(upperLayer, 'etc', 'motd'), 'from the app layer\n');
  writeFileSync(join(upperLayer, 'app.txt'), 'app\n');
  mkdirSync(join(env.layer, 'data'), { recursive: true });
  writeFileSync(join(env.layer, 'etc', 'motd'), 'from the base layer\n');
  env.images.add('layered', [env.layer, upperLayer]);

  const { status, stdout } = await runToCompletion(env.runtime, sandboxId, { image: 'layered', command: ['sh', '-c', 'cat /etc/motd /app.txt; echo new > /data/written; grep " / " /proc/self/mountinfo'] });
  t.is(status.exitCode, 0);
  t.true(stdout.startsWith('from the app layer\napp\n'));
  t.regex(stdout, new RegExp(`lowerdir=${upperLayer}:${env.layer}`));
  // Writes go to the container's upperdir, never into an image layer.
  t.throws(() => readFileSync(join(env.layer, 'data', 'written')));
});

test('pivot_root leaves no way back to the host root', async (t) => {
  writeFileSync(join(env.root, 'host-marker'), 'host\n');
  const script = [
    'ls / | tr "\\n" " "; echo',
    'cd /..; ls | tr "\\n" " "; echo',
    'cat /proc/self/mountinfo | wc -l',
    `test -e ${join(env.root, 'host-marker')} && echo reachable || echo unreachable`,
    'test -e /proc/1/root/bin/busybox && echo own-root',
  ].join('; ');
  const { stdout } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', script] });
  const [rootListing, parentListing, mountCount, marker, ownRoot] = stdout.trim().split('\n');
  t.is(rootListing, parentListing, '/.. is / itself');
  t.notRegex(rootListing, /work|home|usr/);
  t.is(marker, 'unreachable');
  t.is(ownRoot, 'own-root');
  // overlay, proc, dev, pts, shm, sys and the three /etc files: no host mount survived the pivot.
  t.is(Number(mountCount), 9);
});

test('dev, proc and sys are fresh and minimal', async (t) => {
  const script = 'ls /dev | tr "\\n" " "; echo; echo x > /sys/kernel/test 2>/dev/null && echo sys-writable || echo sys-readonly; echo hi > /dev/null && echo null-ok; grep -c . /proc/self/status >/dev/null && echo proc-ok';
  const { stdout } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', script] });
  const [devices, sys, nullDevice, proc] = stdout.trim().split('\n');
  for (const device of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'ptmx']) t.true(devices.split(' ').includes(device), device);
  t.is(sys, 'sys-readonly');
  t.is(nullDevice, 'null-ok');
  t.is(proc, 'proc-ok');
});

test('etc files carry the pod hostname, IP and DNS', async (t) => {
  const sandbox = await env.runtime.podSandboxStatus(sandboxId);
  const { stdout } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'cat /etc/hostname /etc/hosts /etc/resolv.conf'] });
  t.true(stdout.startsWith(`${sandbox.hostname}\n`));
  t.regex(stdout, new RegExp(`^${sandbox.ip}\\t${sandbox.hostname}$`, 'm'));
  t.regex(stdout, /^nameserver 10\.96\.0\.10$/m);
});

test('image user names resolve through passwd and group', async (t) => {
  env.images.add('as-app', [env.layer], { User: 'app', WorkingDir: '/home/app', Env: ['GREETING=image', 'KEEP=yes'] });
  const { stdout } = await runToCompletion(env.runtime, sandboxId, {
    image: 'as-app',
    command: ['sh', '-c', 'id -u; id -g; id -G; pwd; echo $GREETING $KEEP $HOME'],
    env: [{ name: 'GREETING', value: 'pod' }],
  });
  t.is(stdout, '1000\n1000\n1000 2000\n/home/app\npod yes /home/app\n');
});

test('runAsUser and runAsGroup override the image user', async (t) => {
  env.images.add('as-app-2', [env.layer], { User: 'app' });
  const { stdout } = await runToCompletion(env.runtime, sandboxId, { image: 'as-app-2', runAsUser: 4242, runAsGroup: 4343, command: ['sh', '-c', 'id -u; id -g'] });
  t.is(stdout, '4242\n4343\n');
});

test('unknown command fails to start with StartError', async (t) => {
  const id = await env.runtime.createContainer(sandboxId, { name: 'broken', image: 'busybox', command: ['/no/such/binary'], resources: {}, attempt: 0 });
  await t.throwsAsync(env.runtime.startContainer(id), { message: /no such file or directory/i });
  const status = await env.runtime.containerStatus(id);
  t.is(status.state, 'CONTAINER_EXITED');
  t.is(status.exitCode, 128);
  t.is(status.reason, 'StartError');
});

test('exec sees the container rootfs, not the host', async (t) => {
  const sleeper = await startSleeper(env.runtime, sandboxId);
  const result = await execOutput(env.runtime, sleeper.id, ['sh', '-c', `test -e ${env.root} && echo host || echo container`]);
  t.is(result.stdout, 'container\n');
});

const image = (config: ResolvedImage['config']): ResolvedImage => ({ id: 'sha256:0', reference: 'x', config, layerDirs: [] });
const argCases: [string, Parameters<typeof resolveArgs>[0], ResolvedImage['config'], string[]][] = [
  ['image defaults', { name: 'c', image: 'x', resources: {}, attempt: 0 }, { Entrypoint: ['/ep'], Cmd: ['a'] }, ['/ep', 'a']],
  ['command replaces both', { name: 'c', image: 'x', resources: {}, attempt: 0, command: ['/cmd'] }, { Entrypoint: ['/ep'], Cmd: ['a'] }, ['/cmd']],
  ['args replace CMD', { name: 'c', image: 'x', resources: {}, attempt: 0, args: ['b'] }, { Entrypoint: ['/ep'], Cmd: ['a'] }, ['/ep', 'b']],
  ['command and args', { name: 'c', image: 'x', resources: {}, attempt: 0, command: ['/cmd'], args: ['b'] }, { Entrypoint: ['/ep'], Cmd: ['a'] }, ['/cmd', 'b']],
];
for (const [name, config, imageConfig, expected] of argCases) {
  test(`resolveArgs: ${name}`, (t) => {
    t.deepEqual(resolveArgs(config, image(imageConfig)), expected);
  });
}
