import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ExecutionContext } from 'ava';
import { importArchive } from '../../../runtime/image/import.js';
import { lgetxattr } from '../../../runtime/image/libc.js';
import { openStore, readImageFile, tempDir, writeContext } from './helpers.js';

const sha256 = (data: Buffer): `sha256:${string}` => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Two layer tarballs made with the system's tar: files, then OCI whiteouts that delete and hide them. */
async function makeLayers(t: ExecutionContext): Promise<Buffer[]> {
  const first = await writeContext(t, { 'a.txt': 'a', 'dir/b.txt': 'b', 'keep.txt': 'keep' });
  const second = await writeContext(t, { '.wh.a.txt': '', 'dir/.wh..wh..opq': '', 'dir/c.txt': 'c' });
  return [
    execFileSync('tar', ['-cf', '-', '-C', first, 'a.txt', 'dir', 'keep.txt']),
    execFileSync('tar', ['-cf', '-', '-C', second, '.wh.a.txt', 'dir']),
  ];
}

function configFor(layers: Buffer[]): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: { Cmd: ['/bin/true'], Env: ['PATH=/bin'], WorkingDir: '/srv' },
    rootfs: { type: 'layers', diff_ids: layers.map(sha256) },
  }));
}

async function writeArchive(t: ExecutionContext, files: Record<string, Buffer>): Promise<string> {
  const dir = await tempDir(t, 'archive');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, 'content', name)), { recursive: true });
    await writeFile(path.join(dir, 'content', name), content);
  }
  const archive = path.join(dir, 'image.tar');
  execFileSync('tar', ['-cf', archive, '-C', path.join(dir, 'content'), '.']);
  return archive;
}

async function dockerSaveArchive(t: ExecutionContext, layers: Buffer[], config: Buffer): Promise<string> {
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = [{ Config: configName, RepoTags: ['imported:v1'], Layers: layers.map((_, index) => `layer${index}/layer.tar`) }];
  return writeArchive(t, {
    'manifest.json': Buffer.from(JSON.stringify(manifest)),
    [configName]: config,
    ...Object.fromEntries(layers.map((layer, index) => [`layer${index}/layer.tar`, layer])),
  });
}

async function ociArchive(t: ExecutionContext, layers: Buffer[], config: Buffer, annotations: Record<string, string>): Promise<string> {
  const blobs = layers.map((layer) => gzipSync(layer));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: blobs.map((blob) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(blob), size: blob.length })),
  }));
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations }],
  };
  return writeArchive(t, {
    'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
    'index.json': Buffer.from(JSON.stringify(index)),
    ...Object.fromEntries([config, manifest, ...blobs].map((blob) => [`blobs/sha256/${sha256(blob).slice(7)}`, blob])),
  });
}

test('import of a docker save archive', async (t) => {
  const { store } = await openStore(t);
  const layers = await makeLayers(t);
  const config = configFor(layers);
  const [image] = await importArchive(store, await dockerSaveArchive(t, layers, config));

  t.is(image?.id, sha256(config));
  t.deepEqual(image?.references, ['imported:v1']);
  const resolved = await store.resolve('imported:v1');
  t.deepEqual(resolved?.config.Cmd, ['/bin/true']);
  t.is(resolved?.config.WorkingDir, '/srv');
  t.is(resolved?.layerDirs.length, 2);

  // OCI whiteouts became overlayfs ones in the unpacked top layer.
  const top = resolved?.layerDirs[1] ?? '';
  const whiteout = await lstat(path.join(top, 'a.txt'));
  t.true(whiteout.isCharacterDevice());
  t.is(whiteout.rdev, 0);
  t.is(lgetxattr(path.join(top, 'dir'), 'trusted.overlay.opaque')?.toString(), 'y');
  await t.throwsAsync(lstat(path.join(top, '.wh.a.txt')));
  await t.throwsAsync(lstat(path.join(top, 'dir', '.wh..wh..opq')));
  if (image) {
    t.is(await readImageFile(store, image, 'a.txt'), undefined);
    t.is(await readImageFile(store, image, 'keep.txt'), 'keep');
    t.is(await readImageFile(store, image, 'dir/c.txt'), 'c');
  }
});

test('import of an OCI layout tarball with gzip layers', async (t) => {
  const { store } = await openStore(t);
  const layers = await makeLayers(t);
  const config = configFor(layers);
  const archive = await ociArchive(t, layers, config, { 'org.opencontainers.image.ref.name': 'v2' });
  const [image] = await importArchive(store, archive, { tag: 'oci-image' });

  t.is(image?.id, sha256(config));
  t.deepEqual(image?.references, ['oci-image:v2']);
  t.deepEqual(image?.configFile.rootfs.diff_ids, layers.map(sha256));
  t.is(image?.layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  t.is(await readFile(path.join(store.layers.diffDir(sha256(layers[0] ?? Buffer.alloc(0))), 'dir/b.txt'), 'utf8'), 'b');
});

test('import takes the full name from containerd annotations', async (t) => {
  const { store } = await openStore(t);
  const layers = await makeLayers(t);
  const archive = await ociArchive(t, layers, configFor(layers), { 'io.containerd.image.name': 'docker.io/library/named:3', 'org.opencontainers.image.ref.name': '3' });
  const [image] = await importArchive(store, archive);
  t.deepEqual(image?.references, ['named:3']);
});

test('import of the same layers twice shares them', async (t) => {
  const { store } = await openStore(t);
  const layers = await makeLayers(t);
  await importArchive(store, await dockerSaveArchive(t, layers, configFor(layers)));
  await importArchive(store, await ociArchive(t, layers, configFor(layers), { 'io.containerd.image.name': 'again:1' }));
  t.is((await store.layers.list()).length, 2);
  t.is((await store.listStored()).length, 1);
});

test('import rejects a layer whose content does not match its diff_id', async (t) => {
  const { store, dataDir } = await openStore(t);
  const layers = await makeLayers(t);
  const config = configFor([layers[0] ?? Buffer.alloc(0), Buffer.from('not the layer')]);
  await t.throwsAsync(importArchive(store, await dockerSaveArchive(t, layers, config)), { message: /expects sha256:/ });
  t.deepEqual(await store.listImages(), []);
  t.is(execFileSync('ls', [path.join(dataDir, 'images', 'tmp')], { encoding: 'utf8' }).trim(), '');
});

test('import of a file that is not an image archive fails', async (t) => {
  const { store } = await openStore(t);
  const archive = await writeArchive(t, { 'readme.txt': Buffer.from('hi') });
  await t.throwsAsync(importArchive(store, archive), { message: /neither a docker save archive/ });
});

test('tinykube image import on the command line', async (t) => {
  const { store, dataDir } = await openStore(t);
  const layers = await makeLayers(t);
  const archive = await dockerSaveArchive(t, layers, configFor(layers));
  const cli = new URL('../../../bin/tinykube.js', import.meta.url).pathname;
  const output = execFileSync('node', [cli, 'image', 'import', '--data-dir', dataDir, archive], { encoding: 'utf8' });
  t.is(output.trim(), 'Loaded image: imported:v1');
  t.truthy(await store.resolve('imported:v1'));
});
