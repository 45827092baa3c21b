// Deletions that add a finalizer or a grace period are read-modify-write
// loops inside the apiserver. Controllers write status at the same time, and
// kube-apiserver retries such a loop on a conflict instead of returning 409.

import test from 'ava';
import { deployments, pods } from '../../api/resources.js';
import type { Deployment, Pod } from '../../api/types.js';
import { registerKubectlFixture } from '../helpers/kubectl.js';

const { kubectl, server } = registerKubectlFixture(test);

function newDeployment(name: string): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  };
}

/** Writes status through `write` in a loop, from several writers, until stop() is called. */
function keepWriting(writers: number, write: (round: number) => Promise<unknown>): { stop(): Promise<void> } {
  let stopped = false;
  const loops = Array.from({ length: writers }, async (_, writer) => {
    for (let round = writer; !stopped; round += writers) {
      // A write that loses to the deletion (NotFound, or a conflict on a status write) is part of the race.
      await write(round).catch(() => undefined);
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

test('foreground delete while status is written', async (t) => {
  for (let i = 0; i < 5; i++) {
    const name = `raced-${i}`;
    await server().client.create(deployments, newDeployment(name));
    const writes = keepWriting(4, (round) =>
      server().client.patch(deployments, 'default', name, { status: { observedGeneration: 1, replicas: round % 3 } }, 'merge', { subresource: 'status' }));
    try {
      const result = await kubectl(['delete', 'deployment', name, '--cascade=foreground', '--wait=false']);
      t.is(result.code, 0, result.stderr);
    } finally {
      await writes.stop();
    }
    const deleted = await server().client.get<Deployment>(deployments, 'default', name);
    t.truthy(deleted.metadata.deletionTimestamp, name);
    t.deepEqual(deleted.metadata.finalizers, ['foregroundDeletion'], name);
  }
});

test('graceful pod delete while status is written', async (t) => {
  for (let i = 0; i < 5; i++) {
    const name = `graceful-${i}`;
    const pod: Pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'busybox' }] },
    };
    await server().client.create(pods, pod);
    const writes = keepWriting(4, (round) =>
      server().client.patch(pods, 'default', name, { status: { phase: 'Running', message: `round ${round}` } }, 'merge', { subresource: 'status' }));
    try {
      await server().client.delete(pods, 'default', name, { gracePeriodSeconds: 30 });
    } finally {
      await writes.stop();
    }
    const deleting = await server().client.get<Pod>(pods, 'default', name);
    t.truthy(deleting.metadata.deletionTimestamp, name);
    t.is(deleting.metadata.deletionGracePeriodSeconds, 30, name);
  }
});
