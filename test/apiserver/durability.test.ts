// An acknowledged write survives kill -9: the apiserver runs as a child
// process, takes concurrent creates, is killed mid-stream and restarted on
// the same data dir, and every create it acknowledged must still be there.

import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from '../../api/client.js';
import { readKubeconfig } from '../../api/kubeconfig.js';
import { pods } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';

const binary = resolve(import.meta.dirname, '../../bin/tinykube.js');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function startChild(dataDir: string): Promise<{ child: ChildProcess; client: ApiClient }> {
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  await rm(kubeconfig, { force: true });
  const child = spawn(process.execPath, [binary, 'apiserver', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const client = await waitFor(`apiserver in ${dataDir} (output: ${output})`, async () => {
    if (!existsSync(kubeconfig)) return undefined;
    const candidate = new ApiClient({ server: readKubeconfig(kubeconfig).server });
    await candidate.request('GET', '/readyz');
    return candidate;
  });
  return { child, client };
}

function newPod(name: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
}

test('kill -9 loses no acknowledged create', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tinykube-durability-'));
  let child: ChildProcess | undefined;
  t.teardown(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const first = await startChild(dataDir);
  child = first.child;
  const exited = new Promise<void>((done) => first.child.once('exit', () => done()));
  const acknowledged: string[] = [];
  let killed = false;
  const writer = async (id: number) => {
    for (let i = 0; !killed; i++) {
      const name = `w${id}-${i}`;
      try {
        await first.client.create(pods, newPod(name));
        acknowledged.push(name);
      } catch {
        // Requests in flight when the process dies fail; they were never acknowledged.
        return;
      }
      if (acknowledged.length >= 400 && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, id) => writer(id)));
  await exited;
  first.client.close();
  t.true(acknowledged.length >= 400);

  const second = await startChild(dataDir);
  child = second.child;
  const list = await second.client.list<Pod>(pods, { namespace: 'default' });
  const stored = new Set(list.items.map((pod) => pod.metadata.name));
  const lost = acknowledged.filter((name) => !stored.has(name));
  t.deepEqual(lost, []);
  // Revisions continue after the restart instead of starting over.
  const next = await second.client.create(pods, newPod('after-restart'));
  t.true(Number(next.metadata.resourceVersion) > Number(list.metadata.resourceVersion));
  second.client.close();
  second.child.kill('SIGTERM');
  await new Promise<void>((done) => second.child.once('exit', () => done()));
  t.is(second.child.exitCode, 0);
});
