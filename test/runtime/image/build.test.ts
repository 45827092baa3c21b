import test from 'ava';
import { chmod, lstat, readFile, readlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { lgetxattr } from '../../../runtime/image/libc.js';
import { addMiniBase, build, miniBaseReference, openStore, readImageFile, runInImage, topLayerDir, writeContext } from './helpers.js';

test('scratch image with COPY and CMD', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, {
    Dockerfile: 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello"]\n',
    'hello.txt': 'hello\n',
  });
  const { image, output } = await build(store, context, { tags: ['lab-hello'] });

  t.deepEqual(image.references, ['lab-hello:latest']);
  t.is(image.layers.length, 1);
  t.deepEqual(image.configFile.config?.Cmd, ['/hello']);
  t.is(await readFile(path.join(topLayerDir(store, image), 'hello.txt'), 'utf8'), 'hello\n');
  t.regex(output, /^Step 1\/3 : FROM scratch$/m);
  t.regex(output, /^Step 2\/3 : COPY hello.txt \/hello.txt$/m);
  t.regex(output, /^Successfully tagged lab-hello:latest$/m);

  const resolved = await store.resolve('lab-hello');
  t.is(resolved?.id, image.id);
  t.is(resolved?.reference, 'lab-hello');
  t.deepEqual(resolved?.layerDirs, [topLayerDir(store, image)]);
});

test('FROM a local image stacks layers', async (t) => {
  const { store } = await openStore(t);
  const base = await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY x.sh /x.sh\nCMD ["/bin/sh", "/x.sh"]\n`, 'x.sh': 'echo x\n' });
  const { image } = await build(store, context);

  t.is(image.layers.length, base.layers.length + 1);
  t.deepEqual(image.layers.slice(0, -1), base.layers);
  t.deepEqual(image.configFile.config?.Env, base.configFile.config?.Env);
  t.deepEqual(image.configFile.config?.Cmd, ['/bin/sh', '/x.sh']);
  t.is((await runInImage(store, image, ['/bin/sh', '/x.sh'])).output, 'x\n');
});

test('FROM an image that does not exist fails', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM no-such-image\n' });
  await t.throwsAsync(build(store, context), { message: /no-such-image not found/ });
  t.deepEqual(await store.listImages(), []);
});

test('config instructions set the image config', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, {
    Dockerfile: [
      '# escape=\\',
      'FROM scratch',
      'ARG VERSION=1.0',
      'ENV APP_HOME=/srv/app \\',
      '    # a comment inside a continuation',
      '    MODE="fast mode"',
      'ENV LEGACY value with spaces',
      'WORKDIR $APP_HOME',
      'WORKDIR sub',
      'USER nobody:nogroup',
      'LABEL version=$VERSION "description"="a test image"',
      'EXPOSE 8080 53/udp 9000-9001',
      'ENTRYPOINT ["/entry"]',
      'CMD --serve',
      'STOPSIGNAL SIGINT',
      'VOLUME /data',
    ].join('\n'),
  });
  const { image } = await build(store, context);
  const config = image.configFile.config ?? {};

  t.deepEqual(config.Env, ['APP_HOME=/srv/app', 'MODE=fast mode', 'LEGACY=value with spaces']);
  t.is(config.WorkingDir, '/srv/app/sub');
  t.is(config.User, 'nobody:nogroup');
  t.deepEqual(config.Labels, { version: '1.0', description: 'a test image' });
  t.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['8080/tcp', '53/udp', '9000/tcp', '9001/tcp']);
  t.deepEqual(config.Entrypoint, ['/entry']);
  t.deepEqual(config.Cmd, ['/bin/sh', '-c', '--serve']);
  t.is(config.StopSignal, 'SIGINT');
  t.deepEqual(Object.keys(config.Volumes ?? {}), ['/data']);
  t.is(image.layers.length, 0);
  t.true(image.configFile.history?.every((entry) => entry.empty_layer === true));
});

test('ENTRYPOINT resets an inherited CMD', async (t) => {
  const { store } = await openStore(t);
  const baseContext = await writeContext(t, { Dockerfile: 'FROM scratch\nCMD ["/base-cmd"]\n' });
  await build(store, baseContext, { tags: ['test/with-cmd'] });
  const context = await writeContext(t, { Dockerfile: 'FROM test/with-cmd\nENTRYPOINT ["/entry"]\n' });
  const { image } = await build(store, context);
  t.deepEqual(image.configFile.config?.Entrypoint, ['/entry']);
  t.is(image.configFile.config?.Cmd, undefined);
});

test('ARG takes --build-arg values', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'ARG BASE=scratch\nFROM ${BASE}\nARG NAME=default\nLABEL name=$NAME other=${UNSET:-fallback}\n' });
  const { image } = await build(store, context, { buildArgs: { NAME: 'given' } });
  t.deepEqual(image.configFile.config?.Labels, { name: 'given', other: 'fallback' });
});

test('COPY of dirs, globs and --chown', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: [
      `FROM ${miniBaseReference}`,
      'COPY --chown=nobody:nogroup app /opt/app/',
      'COPY *.conf /etc/conf.d/',
      'COPY --chown=1234:5678 one.conf /srv/renamed.conf',
      'COPY app/bin/run.sh /usr/local/bin/',
    ].join('\n'),
    'app/bin/run.sh': 'echo run\n',
    'app/data/a.txt': 'a',
    'one.conf': '1',
    'two.conf': '2',
    'ignored.conf': 'ignored',
    '.dockerignore': 'ignored.conf\n',
  });
  await chmod(path.join(context, 'app/bin/run.sh'), 0o4755);
  const { image } = await build(store, context);

  const layers = image.layers.slice(-4).map((layer) => store.layers.diffDir(layer.diffID));
  const [appLayer = '', confLayer = '', renamedLayer = '', binLayer = ''] = layers;
  const run = await lstat(path.join(appLayer, 'opt/app/bin/run.sh'));
  t.is(run.uid, 65534);
  t.is(run.gid, 65534);
  t.is(run.mode & 0o7777, 0o4755, 'the setuid bit survives --chown');
  t.is(await readFile(path.join(appLayer, 'opt/app/data/a.txt'), 'utf8'), 'a');
  t.is(await readFile(path.join(confLayer, 'etc/conf.d/one.conf'), 'utf8'), '1');
  t.is(await readFile(path.join(confLayer, 'etc/conf.d/two.conf'), 'utf8'), '2');
  await t.throwsAsync(lstat(path.join(confLayer, 'etc/conf.d/ignored.conf')));
  const renamed = await lstat(path.join(renamedLayer, 'srv/renamed.conf'));
  t.is(renamed.uid, 1234);
  t.is(renamed.gid, 5678);
  t.is(await readFile(path.join(binLayer, 'usr/local/bin/run.sh'), 'utf8'), 'echo run\n');
});

test('COPY follows symlinks inside the image, not on the host', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY tool /bin/tool\n`, tool: 'tool' });
  const { image } = await build(store, context);
  const top = topLayerDir(store, image);

  // On a merged-/usr host, /bin is a link to usr/bin in the image, so the file lands in usr/bin.
  const expected = (await lstat('/bin')).isSymbolicLink() ? 'usr/bin/tool' : 'bin/tool';
  t.is(await readFile(path.join(top, expected), 'utf8'), 'tool');
  await t.throwsAsync(lstat('/usr/bin/tool'));
});

test('ADD unpacks a local tar', async (t) => {
  const { store } = await openStore(t);
  const source = await writeContext(t, { 'pkg/a.txt': 'a', 'pkg/sub/b.txt': 'b' });
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nADD pkg.tar.gz /opt/\nADD plain.txt /plain.txt\n', 'plain.txt': 'plain' });
  execFileSync('tar', ['-czf', path.join(context, 'pkg.tar.gz'), '-C', source, 'pkg']);
  const { image } = await build(store, context);

  t.is(await readImageFile(store, image, 'opt/pkg/a.txt'), 'a');
  t.is(await readImageFile(store, image, 'opt/pkg/sub/b.txt'), 'b');
  t.is(await readImageFile(store, image, 'plain.txt'), 'plain');
  t.is(await readImageFile(store, image, 'opt/pkg.tar.gz'), undefined);
});

test('COPY of a missing file fails with its name', async (t) => {
  const { store } = await openStore(t);
  const context = await writeContext(t, { Dockerfile: 'FROM scratch\nCOPY missing.txt /\n' });
  await t.throwsAsync(build(store, context), { message: /missing\.txt/ });
});

test('RUN changes become a layer with whiteouts', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: [
      `FROM ${miniBaseReference}`,
      'COPY a.txt b.txt /data/',
      'RUN rm /data/a.txt && echo new > /data/c.txt',
      'WORKDIR /work/dir',
      'RUN ["/bin/sh", "-c", "pwd > here"]',
    ].join('\n'),
    'a.txt': 'a',
    'b.txt': 'b',
  });
  const { image, output } = await build(store, context);
  const runLayer = store.layers.diffDir(image.layers.at(-2)?.diffID ?? 'sha256:');
  const whiteout = await lstat(path.join(runLayer, 'data/a.txt'));
  t.true(whiteout.isCharacterDevice());
  t.is(whiteout.rdev, 0);
  t.is(await readFile(path.join(runLayer, 'data/c.txt'), 'utf8'), 'new\n');

  const runBlob = store.blobs.path(image.layers.at(-2)?.blobDigest ?? 'sha256:');
  const members = execFileSync('tar', ['-tf', runBlob], { encoding: 'utf8' }).split('\n');
  t.true(members.includes('data/.wh.a.txt'));
  t.true(members.includes('data/c.txt'));
  t.is(await readImageFile(store, image, 'work/dir/here'), '/work/dir\n');
  t.regex(output, /---> Running in [0-9a-f]{12}/);
});

test('RUN runs isolated from the host', async (t) => {
  const { store } = await openStore(t);
  const base = await addMiniBase(store);
  const hostPids = execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n').filter((name) => /^\d+$/.test(name));
  const { code, output } = await runInImage(store, base, [
    '/bin/sh', '-c', 'echo pid=$$; ls /proc | grep -c "^[0-9]"; hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/mnt; ls /dev/null /dev/zero',
  ]);
  t.is(code, 0);
  const lines = output.trim().split('\n');
  t.is(lines[0], 'pid=1');
  t.true(Number(lines[1]) < 5, `the RUN saw ${lines[1]} processes; the host has ${hostPids.length}`);
  t.not(lines[2], execFileSync('hostname', { encoding: 'utf8' }).trim());
  t.not(lines[3], await readlink('/proc/self/ns/ipc'));
  t.not(lines[4], await readlink('/proc/self/ns/mnt'));
  t.regex(output, /\/dev\/null/);
});

test('RUN cannot reach the host root', async (t) => {
  const { store, dataDir } = await openStore(t);
  const base = await addMiniBase(store);
  // A file only the host has: any path that finds it has left the image rootfs.
  const marker = path.join(dataDir, `host-only-${process.pid}`);
  await writeFile(marker, 'host\n');

  const { code, output } = await runInImage(store, base, [
    '/bin/sh', '-c', [
      `test -e /proc/1/root${marker} && echo escaped-proc-root`,
      `cd /../../.. && test -e .${marker} && echo escaped-dotdot`,
      `cd /proc/1/cwd/../../.. && test -e .${marker} && echo escaped-proc-cwd`,
      'ls /proc/1/root/ | tr "\\n" " "; echo',
      'ls / | tr "\\n" " "; echo',
      'grep -c . /proc/self/mountinfo',
      'true',
    ].join('; '),
  ]);
  t.is(code, 0, output);
  t.notRegex(output, /escaped/);
  const [rootThroughProc, root, mountCount] = output.trim().split('\n');
  t.is(rootThroughProc, root, 'PID 1 sees the same root as the command');
  // The overlay, /proc, /dev and its pts and shm, /sys and the two /etc binds: the host's mounts are gone.
  t.true(Number(mountCount) <= 8, `the RUN sees ${mountCount} mounts`);
});

test('RUN as USER and a failing RUN', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nUSER nobody\nRUN id -u > /tmp/uid\n` });
  const { image } = await build(store, context);
  t.is(await readImageFile(store, image, 'tmp/uid'), '65534\n');

  const failing = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nRUN echo failing; exit 3\n` });
  await t.throwsAsync(build(store, failing, { tags: ['test/failing'] }), { message: /returned a non-zero code: 3/ });
  t.is(await store.findImage('test/failing'), undefined);
});

test('build leaves no mounts and no temp dirs', async (t) => {
  const { store, dataDir } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: `FROM ${miniBaseReference}\nCOPY f /f\nRUN touch /g\n`, f: 'f' });
  await build(store, context);
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  t.false(mountinfo.includes(dataDir));
  const leftovers = execFileSync('ls', [path.join(dataDir, 'images', 'tmp')], { encoding: 'utf8' }).trim();
  t.is(leftovers, '');
});

test('multi-stage build with COPY --from', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: [
      `FROM ${miniBaseReference} AS builder`,
      'RUN mkdir -p /out && echo built > /out/result.txt',
      'FROM builder AS second',
      'RUN echo more > /out/more.txt',
      'FROM scratch',
      'COPY --from=builder /out/result.txt /result.txt',
      'COPY --from=1 /out/ /all/',
      `COPY --from=${miniBaseReference} /etc/passwd /etc/passwd`,
      'CMD ["/result.txt"]',
    ].join('\n'),
  });
  const { image } = await build(store, context);

  t.is(image.layers.length, 3);
  t.is(await readImageFile(store, image, 'result.txt'), 'built\n');
  t.is(await readImageFile(store, image, 'all/result.txt'), 'built\n');
  t.is(await readImageFile(store, image, 'all/more.txt'), 'more\n');
  t.regex(await readImageFile(store, image, 'etc/passwd') ?? '', /^root:/);

  const again = await build(store, context);
  t.is(again.image.id, image.id);
});

test('RUN that recreates a dir makes it opaque', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: `FROM ${miniBaseReference}\nCOPY old.txt /data/old.txt\nRUN rm -rf /data && mkdir /data && echo x > /data/x\n`,
    'old.txt': 'old',
  });
  const { image } = await build(store, context);
  const top = image.layers.at(-1);
  const runLayer = store.layers.diffDir(top?.diffID ?? 'sha256:');
  t.is(lgetxattr(path.join(runLayer, 'data'), 'trusted.overlay.opaque')?.toString(), 'y');

  const members = execFileSync('tar', ['-tf', store.blobs.path(top?.blobDigest ?? 'sha256:')], { encoding: 'utf8' }).split('\n');
  t.true(members.includes('data/.wh..wh..opq'));
  t.true(members.includes('data/x'));
  t.is(await readImageFile(store, image, 'data/x'), 'x\n');
});
