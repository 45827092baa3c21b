import test from 'ava';
import { access, lstat, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseImageReference, ensureBaseImage } from '../../../runtime/image/base-image.js';
import { resolveInRoot } from '../../../runtime/image/rootfs-path.js';
import { ImageStore, type StoredImage } from '../../../runtime/image/store.js';
import { readImageFile, runInImage } from './helpers.js';

// The full base image takes a few seconds to assemble, so this file builds it once.
let store: ImageStore;
let base: StoredImage;
let dataDir: string;
const progress: string[] = [];

test.before(async (t) => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tinykube-base-'));
  store = await ImageStore.open(dataDir);
  const started = Date.now();
  base = await ensureBaseImage(store, { onProgress: (message) => progress.push(message) });
  t.log(`tinykube/base: ${(base.size / 1e6).toFixed(1)} MB of files, built in ${Date.now() - started} ms`);
});

test.after.always(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});


test('base image is tagged and has a shell as CMD', (t) => {
  t.deepEqual(base.references, [baseImageReference]);
  t.deepEqual(base.configFile.config?.Cmd, ['/bin/sh']);
  t.regex(base.configFile.config?.Env?.[0] ?? '', /^PATH=.*\/usr\/bin/);
  t.true(progress.some((message) => message.startsWith('Copying')));
});

test('ensureBaseImage is a no-op when the image exists', async (t) => {
  const messages: string[] = [];
  const again = await ensureBaseImage(store, { onProgress: (message) => messages.push(message) });
  t.is(again.id, base.id);
  t.deepEqual(messages, []);
});

test('base image has the tools the labs use', async (t) => {
  const root = store.layers.diffDir(base.layers[0]?.diffID ?? 'sha256:');
  const tools = ['sh', 'cat', 'ls', 'echo', 'sleep', 'tail', 'head', 'mkdir', 'rm', 'cp', 'mv', 'env', 'id', 'readlink', 'wc', 'date',
    'true', 'false', 'yes', 'dd', 'hostname', 'ps', 'grep', 'sed', 'awk', 'mount', 'nsenter'];
  for (const tool of tools) {
    // /bin/<tool> resolves through the image's own links (bin -> usr/bin, sh -> dash).
    const stats = await stat(await resolveInRoot(root, `/bin/${tool}`)).catch(() => undefined);
    t.true(stats !== undefined && stats.isFile() && (stats.mode & 0o111) !== 0, tool);
  }
});

test('base image has users, groups and a sticky /tmp', async (t) => {
  const passwd = await readImageFile(store, base, 'etc/passwd');
  t.regex(passwd ?? '', /^root:x:0:0:/m);
  t.regex(passwd ?? '', /^nobody:x:65534:65534:/m);
  t.regex(await readImageFile(store, base, 'etc/group') ?? '', /^nobody:x:65534:/m);
  const tmp = await lstat(path.join(store.layers.diffDir(base.layers[0]?.diffID ?? 'sha256:'), 'tmp'));
  t.is(tmp.mode & 0o7777, 0o1777);
});

test('lab commands run in the base image', async (t) => {
  const script = [
    'ps -o pid,args',
    'cat /proc/sys/kernel/hostname',
    'readlink /proc/self/ns/ipc',
    'sleep 1',
    "timeout 0.2 sh -c 'while :; do :; done'; echo loop=$?",
    'head -c 5 /dev/zero | wc -c',
    'id -un',
  ].join('; ');
  const { code, output } = await runInImage(store, base, ['/bin/sh', '-c', script]);
  t.is(code, 0, output);
  const lines = output.trim().split('\n');
  t.regex(lines[0] ?? '', /^\s*PID\s+COMMAND$/);
  t.regex(lines[1] ?? '', /^\s*1 \/bin\/sh -c ps -o pid,args/);
  t.true(lines.some((line) => /^ipc:\[\d+\]$/.test(line)), output);
  t.true(lines.includes('loop=124'), output);
  t.true(lines.includes('5'), output);
  t.is(lines.at(-1), 'root');
});

test('python3 and its standard library run when the host has them', async (t) => {
  if (!(await access('/usr/bin/python3').then(() => true, () => false))) {
    t.pass('this host has no /usr/bin/python3');
    return;
  }
  const { code, output } = await runInImage(store, base, ['python3', '-c', 'import json, os, socket, ssl, sqlite3, subprocess, http.server; print(json.dumps([os.getpid()]))']);
  t.is(code, 0, output);
  t.is(output.trim(), '[1]');
});
