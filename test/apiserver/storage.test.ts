// The LevelDB storage on its own: revisions of updates, including updates
// that change nothing.

import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.js';
import { LevelStorage } from '../../apiserver/storage/level.js';

async function openStorage(t: { teardown(fn: () => Promise<void>): void }): Promise<LevelStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'tinykube-storage-'));
  const storage = await LevelStorage.open({ path: dir, attributesOf: () => ({ labels: undefined, fields: {} }) });
  t.teardown(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  return storage;
}

interface Lease extends KubeObject {
  spec: { renewTime: string; ref?: { resourceVersion: string } };
}

const lease = (renewTime: string): Lease => ({ apiVersion: 'v1', kind: 'Lease', metadata: { name: 'node-1' }, spec: { renewTime } });

test('an update that changes nothing keeps the revision', async (t) => {
  const storage = await openStorage(t);
  const created = await storage.create('leases/node-1', lease('2026-01-01T00:00:00.000000Z'));
  const same = await storage.guaranteedUpdate('leases/node-1', (current) => current);
  t.is(same.revision, created.revision);
});

test('a change of the same length gets a new revision', async (t) => {
  const storage = await openStorage(t);
  const created = await storage.create('leases/node-1', lease('2026-01-01T00:00:00.000000Z'));
  const renewed = await storage.guaranteedUpdate('leases/node-1', (current) => ({ ...current, spec: { renewTime: '2026-01-01T00:00:10.000000Z' } }) as Lease);
  t.true(renewed.revision > created.revision);
  t.regex(renewed.json, /00:00:10/);
});

test('a field that repeats the new resourceVersion still compares', async (t) => {
  const storage = await openStorage(t);
  const created = await storage.create('leases/node-1', lease('2026-01-01T00:00:00.000000Z'));
  // The reference carries the revision that the second update would get, so that update's text contains it twice.
  const repeated = String(created.revision + 2);
  const referenced = (current: KubeObject) => ({ ...current, spec: { ...(current as Lease).spec, ref: { resourceVersion: repeated } } }) as Lease;
  const first = await storage.guaranteedUpdate('leases/node-1', referenced);
  t.is(first.revision, created.revision + 1);
  const again = await storage.guaranteedUpdate('leases/node-1', referenced);
  t.is(again.revision, first.revision);
});

test('second open of a data dir names the lock', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tinykube-storage-'));
  const first = await LevelStorage.open({ path: dir, attributesOf: () => ({ labels: undefined, fields: {} }) });
  t.teardown(async () => {
    await first.close();
    await rm(dir, { recursive: true, force: true });
  });
  const error = await t.throwsAsync(LevelStorage.open({ path: dir, attributesOf: () => ({ labels: undefined, fields: {} }) }));
  t.regex(error?.message ?? '', /the database is locked by another process, most likely an apiserver on the same data dir/);
});
