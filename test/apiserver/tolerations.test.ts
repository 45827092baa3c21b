// The DefaultTolerationSeconds admission: every pod gets not-ready and
// unreachable NoExecute tolerations, with the seconds the apiserver's options set.

import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pods } from '../../api/resources.js';
import type { Pod, Toleration } from '../../api/types.js';
import { startTestApiserver } from '../helpers/apiserver.js';

const tinykubeBin = fileURLToPath(new URL('../../bin/tinykube.js', import.meta.url));

function newPod(name: string, tolerations?: Toleration[]): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
  };
}

function secondsOf(pod: Pod, key: string): number | undefined {
  return pod.spec.tolerations?.find((toleration) => toleration.key === key)?.tolerationSeconds;
}

test('default toleration seconds are 300', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const pod = await server.client.create(pods, newPod('plain'));
  t.is(secondsOf(pod, 'node.kubernetes.io/not-ready'), 300);
  t.is(secondsOf(pod, 'node.kubernetes.io/unreachable'), 300);
});

test('toleration seconds from the apiserver options', async (t) => {
  const server = await startTestApiserver({ defaultNotReadyTolerationSeconds: 40, defaultUnreachableTolerationSeconds: 0 });
  t.teardown(() => server.close());
  const pod = await server.client.create(pods, newPod('configured'));
  t.is(secondsOf(pod, 'node.kubernetes.io/not-ready'), 40);
  t.is(secondsOf(pod, 'node.kubernetes.io/unreachable'), 0);

  // A pod's own toleration for the taint is kept as it is.
  const own = await server.client.create(pods, newPod('own', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 }]));
  t.is(secondsOf(own, 'node.kubernetes.io/not-ready'), 7);
  t.is(secondsOf(own, 'node.kubernetes.io/unreachable'), 0);
});

test('invalid toleration flag is rejected', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tinykube-tolerations-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const code = await new Promise<number | null>((resolve) => {
    const child = execFile(process.execPath, [tinykubeBin, 'apiserver', `--data-dir=${dataDir}`, '--port=0',
      '--default-not-ready-toleration-seconds=soon'], { timeout: 60_000 }, () => resolve(child.exitCode));
  });
  t.is(code, 2);
});
