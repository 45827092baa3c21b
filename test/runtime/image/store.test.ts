import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ensureBaseImage } from '../../../runtime/image/base-image.js';
import { ImageStore } from '../../../runtime/image/store.js';
import { StateStore, type ContainerRecord } from '../../../runtime/state.js';
import { addMiniBase, build, miniBaseReference, openStore, tempDir, writeContext } from './helpers.js';

const execFileAsync = promisify(execFile);
const cli = fileURLToPath(new URL('../../../bin/tinykube.js', import.meta.url));

async function tinykube(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('node', [cli, 'image', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

test('references normalise like docker', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nLABEL x=1\n' });
  const { image } = await build(store, context, { tags: ['lab-hello', 'docker.io/library/lab-hello:2', 'example.com:5000/team/app:v1'] });
  t.deepEqual(image.references, ['lab-hello:latest', 'lab-hello:2', 'example.com:5000/team/app:v1']);
  for (const name of ['lab-hello', 'lab-hello:latest', 'docker.io/library/lab-hello', 'index.docker.io/library/lab-hello:2', 'example.com:5000/team/app:v1', image.id, image.id.slice(7, 19)]) {
    t.is((await store.resolve(name))?.id, image.id, name);
  }
  t.is(await store.resolve('lab-hello:3'), undefined);
  t.is(await store.resolve('docker.io/other/lab-hello'), undefined);
});

test('CRI image service lists, reports and removes', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nCOPY f /f\nUSER nobody\n', f: '12345' });
  const { image } = await build(store, context, { tags: ['one', 'two'] });

  t.deepEqual(await store.listImages(), [{ id: image.id, repoTags: ['one:latest', 'two:latest'], size: 5, user: 'nobody' }]);
  t.is((await store.imageStatus('two'))?.id, image.id);
  t.is(await store.imageStatus('three'), undefined);

  await store.removeImage('one');
  t.deepEqual((await store.imageStatus('two'))?.repoTags, ['two:latest']);
  await store.removeImage('two');
  t.deepEqual(await store.listImages(), []);
  t.deepEqual(await store.layers.list(), []);
  await t.notThrowsAsync(store.removeImage('two'));
});

test('rm keeps layers another image uses', async (t) => {
  const { store } = await openStore(t);
  const base = await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY f /f\n`, f: 'f' });
  const { image } = await build(store, context, { tags: ['child'] });
  const { deleted } = await store.remove('child');
  t.true(deleted.includes(image.layers.at(-1)?.diffID ?? 'sha256:'));
  t.false(deleted.includes(base.layers[0]?.diffID ?? 'sha256:'));
  t.truthy(await store.resolve(miniBaseReference));
});

test('image ls, inspect and rm on the command line', async (t) => {
  const { store, dataDir } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nCOPY a /a\nCOPY b /b\nCMD ["/a"]\n', a: 'a', b: 'b' });
  const { image } = await build(store, context, { tags: ['lab-cli:1'] });

  const ls = await tinykube('ls', '--data-dir', dataDir);
  t.is(ls.code, 0);
  const [header, row] = ls.stdout.trim().split('\n');
  t.regex(header ?? '', /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  t.regex(row ?? '', new RegExp(`^lab-cli\\s+1\\s+${image.id.slice(7, 19)}\\s+(Less than a second|\\d+ seconds?|About a minute) ago\\s+2B$`));

  const inspect = await tinykube('inspect', '--data-dir', dataDir, 'lab-cli:1');
  t.is(inspect.code, 0);
  const [details] = JSON.parse(inspect.stdout) as { Id: string; Config: { Cmd: string[] }; GraphDriver: { Data: Record<string, string> }; RootFS: { Layers: string[] } }[];
  t.is(details?.Id, image.id);
  t.deepEqual(details?.Config.Cmd, ['/a']);
  const [lower, upper] = image.layers.map((layer) => store.layers.diffDir(layer.diffID));
  t.is(details?.GraphDriver.Data.LowerDir, lower);
  t.is(details?.GraphDriver.Data.UpperDir, upper);
  t.regex(details?.GraphDriver.Data.MergedDir ?? '', /\/merged$/);
  t.is(details?.RootFS.Layers.length, 2);

  const missing = await tinykube('inspect', '--data-dir', dataDir, 'nothing');
  t.is(missing.code, 1);
  t.regex(missing.stderr, /No such image: nothing/);

  const rm = await tinykube('rm', '--data-dir', dataDir, 'lab-cli:1');
  t.is(rm.code, 0);
  t.regex(rm.stdout, /^Untagged: lab-cli:1$/m);
  t.regex(rm.stdout, new RegExp(`^Deleted: ${image.id}$`, 'm'));
  t.is((await tinykube('ls', '--data-dir', dataDir)).stdout.trim().split('\n').length, 1);
});

test('image tag adds a reference', async (t) => {
  const { store, dataDir } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nLABEL x=1\n' });
  const { image } = await build(store, context, { tags: ['original'] });
  t.is((await tinykube('tag', '--data-dir', dataDir, 'original', 'copy:2')).code, 0);
  t.deepEqual((await store.findImage('copy:2'))?.references, ['copy:2', 'original:latest']);

  await store.remove('original');
  t.is((await store.resolve('copy:2'))?.id, image.id);
  t.is((await tinykube('tag', '--data-dir', dataDir, 'missing', 'x')).code, 1);
});

/** Records a container in the runtime state of a data dir, as the runtime does when it creates one. */
async function recordContainer(dataDir: string, id: string, imageId: string): Promise<void> {
  const record: ContainerRecord = {
    id,
    sandboxId: 'sandbox-1',
    config: { name: 'app', image: 'lab-used:1', resources: {}, attempt: 0 },
    createdAt: Date.now(),
    imageId,
    imageReference: 'lab-used:1',
    layerDirs: [],
    process: { args: ['/a'], env: [], cwd: '/', uid: 0, gid: 0, groups: [] },
    cgroup: 'tinykube-test/besteffort/pod1/app',
    logPath: path.join(dataDir, 'app.log'),
  };
  await new StateStore(path.join(dataDir, 'runtime')).saveContainer(record);
}

test('image rm rejects an image a container uses', async (t) => {
  const { store, dataDir } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nCOPY a /a\n', a: 'a' });
  const { image } = await build(store, context, { tags: ['lab-used:1'] });
  const containerId = 'c0ffee0123456789abcdef';
  await recordContainer(dataDir, containerId, image.id);

  const byReference = await tinykube('rm', '--data-dir', dataDir, 'lab-used:1');
  t.is(byReference.code, 1);
  t.regex(byReference.stderr, /conflict: unable to remove repository reference "lab-used:1" \(must force\) - container c0ffee012345 is using its referenced image ID/);
  const byId = await tinykube('rm', '--data-dir', dataDir, image.id.slice(7, 19));
  t.is(byId.code, 1);
  t.regex(byId.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by container c0ffee012345/);
  t.is((await store.findImage('lab-used:1'))?.id, image.id, 'a rejected rm keeps the image');

  const forced = await tinykube('rm', '-f', '--data-dir', dataDir, 'lab-used:1');
  t.is(forced.code, 0, forced.stderr);
  t.regex(forced.stdout, new RegExp(`^Deleted: ${image.id}$`, 'm'));
  t.is(await store.findImage('lab-used:1'), undefined);
});

test('image ls and inspect create no data dir', async (t) => {
  const parent = await tempDir(t, 'absent');
  const dataDir = path.join(parent, 'data');

  const ls = await tinykube('ls', '--data-dir', dataDir);
  t.is(ls.code, 0);
  t.is(ls.stdout, '');
  t.is(ls.stderr.trim(), `no images in ${dataDir} (the data dir does not exist)`);

  const inspect = await tinykube('inspect', '--data-dir', dataDir, 'tinykube/base');
  t.is(inspect.code, 1);
  t.regex(inspect.stderr, /No such image: tinykube\/base/);
  const rm = await tinykube('rm', '--data-dir', dataDir, 'tinykube/base');
  t.is(rm.code, 1);
  t.false(existsSync(dataDir), 'no command created the data dir');
});

test('build-base help says what the data dir holds', async (t) => {
  const help = await tinykube('build-base', '--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /--data-dir DATA_DIR\n\s+Data dir of tinykube .*images are stored in DATA_DIR\/images/);
});

test('every subcommand takes --help and --data-dir from the environment', async (t) => {
  for (const subcommand of ['build', 'build-base', 'ls', 'inspect', 'rm', 'tag', 'import']) {
    const help = await tinykube(subcommand, '--help');
    t.is(help.code, 0, subcommand);
    t.regex(help.stdout, /--data-dir/, subcommand);
  }
  const { dataDir } = await openStore(t);
  const { stdout } = await execFileAsync('node', [cli, 'image', 'ls'], { env: { ...process.env, TINYKUBE_DATA_DIR: dataDir } });
  t.is(stdout.trim(), 'REPOSITORY   TAG   IMAGE ID   CREATED   SIZE');
});

test('a new store on the same dir sees complete images and clears leftovers', async (t) => {
  const { store, dataDir } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nCOPY f /f\n', f: 'f' });
  const { image } = await build(store, context, { tags: ['kept'] });

  // Work of a process that died mid-import: a dir named after a dead pid.
  const dead = spawn('true');
  await once(dead, 'exit');
  const leftover = path.join(dataDir, 'images', 'tmp', `${dead.pid}-import-0123456789ab`);
  await mkdir(path.join(leftover, 'archive'), { recursive: true });
  await writeFile(path.join(leftover, 'archive', 'manifest.json'), '[');

  const reopened = await ImageStore.open(dataDir);
  t.deepEqual((await reopened.listImages()).map((info) => info.id), [image.id]);
  t.deepEqual(await readdir(path.join(dataDir, 'images', 'tmp')), []);
});

test('a build killed midway leaves no image behind', async (t) => {
  const { store, dataDir } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY f /f\nRUN sleep 30\n`, f: 'f' });
  const child = spawn('node', [cli, 'image', 'build', '-t', 'interrupted', '--data-dir', dataDir, context], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = once(child, 'exit');
  t.teardown(() => {
    try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* already gone */ }
  });

  // Kill the whole process group (node, unshare and the RUN command) once the RUN has started.
  let output = '';
  const running = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Running in')) resolve(true);
    });
    child.once('exit', () => resolve(false));
  });
  t.true(await running, `the build ended before its RUN step:\n${output}`);
  process.kill(-(child.pid ?? 0), 'SIGKILL');
  await exited;

  const reopened = await ImageStore.open(dataDir);
  t.is(await reopened.resolve('interrupted'), undefined);
  t.deepEqual((await reopened.listStored()).map((image) => image.references), [[miniBaseReference]]);

  // The COPY step finished before the kill, so a new build reuses it.
  const { output: rebuilt } = await build(reopened, await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY f /f\n`, f: 'f' }));
  t.regex(rebuilt, /Using cache/);
});

test('concurrent builds on one store keep every tag', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const contexts = await Promise.all([1, 2, 3, 4].map((n) =>
    writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY f /f\nRUN echo ${n} > /n\n`, f: String(n) })));
  const images = await Promise.all(contexts.map((context, index) => build(store, context, { tags: [`parallel:${index}`] })));

  const reopened = await ImageStore.open(path.dirname(store.layout.root));
  for (const [index, { image }] of images.entries()) {
    t.is((await reopened.resolve(`parallel:${index}`))?.id, image.id);
  }
  t.is((await reopened.listImages()).length, 5);
});

test('concurrent ensureBaseImage builds the base once', async (t) => {
  const { store } = await openStore(t);
  const progress: string[] = [];
  const options = { reference: 'test/ensured:latest', tools: ['sh', 'cat'], python: false, onProgress: (message: string) => progress.push(message) };
  const [first, second] = await Promise.all([ensureBaseImage(store, options), ensureBaseImage(store, options)]);
  t.is(first.id, second.id);
  t.is(progress.filter((message) => message.startsWith('Tagged')).length, 1);
});
