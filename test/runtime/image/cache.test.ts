import test from 'ava';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addMiniBase, build, miniBaseReference, openStore, writeContext } from './helpers.js';

/** Lists the step numbers that printed ` ---> Using cache`. */
function cachedSteps(output: string): number[] {
  const steps: number[] = [];
  let current = 0;
  for (const line of output.split('\n')) {
    const step = /^Step (\d+)\//.exec(line);
    if (step) current = Number(step[1]);
    if (line === ' ---> Using cache') steps.push(current);
  }
  return steps;
}

const dockerfile = (lines: string[]) => [`FROM ${miniBaseReference}`, ...lines].join('\n') + '\n';

test('rebuild of an unchanged context uses the cache for every step', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: dockerfile(['ENV A=1', 'COPY a.txt /a.txt', 'RUN cat /a.txt > /b.txt', 'CMD ["/bin/sh"]']),
    'a.txt': 'a',
  });
  const first = await build(store, context);
  t.deepEqual(cachedSteps(first.output), []);

  const second = await build(store, context);
  t.deepEqual(cachedSteps(second.output), [2, 3, 4, 5]);
  t.is(second.image.id, first.image.id);
  t.notRegex(second.output, /Running in/);
});

test('changing a copied file rebuilds its COPY and every later step', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, {
    Dockerfile: dockerfile(['COPY a.txt /a.txt', 'COPY b.txt /b.txt', 'RUN cat /a.txt /b.txt > /ab.txt', 'ENV DONE=1']),
    'a.txt': 'a',
    'b.txt': 'b',
  });
  const first = await build(store, context);

  await writeFile(path.join(context, 'b.txt'), 'B');
  const second = await build(store, context);
  t.deepEqual(cachedSteps(second.output), [2]);
  t.not(second.image.id, first.image.id);
  t.deepEqual(second.image.layers.slice(0, -2), first.image.layers.slice(0, -2));
});

test('touching a file without changing it keeps the cache', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: dockerfile(['COPY a.txt /a.txt']), 'a.txt': 'a' });
  await build(store, context);
  await writeFile(path.join(context, 'a.txt'), 'a');
  const second = await build(store, context);
  t.deepEqual(cachedSteps(second.output), [2]);
});

test('reordering steps rebuilds from the first moved step', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const files = { 'a.txt': 'a', 'b.txt': 'b' };
  const context = await writeContext(t, { Dockerfile: dockerfile(['ENV X=1', 'COPY a.txt /a.txt', 'COPY b.txt /b.txt', 'LABEL l=1']), ...files });
  await build(store, context);

  await writeFile(path.join(context, 'Dockerfile'), dockerfile(['ENV X=1', 'COPY b.txt /b.txt', 'COPY a.txt /a.txt', 'LABEL l=1']));
  const second = await build(store, context);
  t.deepEqual(cachedSteps(second.output), [2]);

  // Both orders are now cached.
  const third = await build(store, context);
  t.deepEqual(cachedSteps(third.output), [2, 3, 4, 5]);
});

test('a changed instruction or build arg misses the cache', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: dockerfile(['ARG WHO=a', 'RUN echo $WHO > /who', 'RUN echo done']) });
  await build(store, context);
  const changedArg = await build(store, context, { buildArgs: { WHO: 'b' } });
  t.deepEqual(cachedSteps(changedArg.output), []);

  await writeFile(path.join(context, 'Dockerfile'), dockerfile(['ARG WHO=a', 'RUN echo $WHO > /who', 'RUN echo done again']));
  const changedRun = await build(store, context);
  t.deepEqual(cachedSteps(changedRun.output), [3]);
});

test('--no-cache executes every step', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: dockerfile(['RUN echo hi > /hi']) });
  await build(store, context);
  const second = await build(store, context, { noCache: true });
  t.deepEqual(cachedSteps(second.output), []);
  t.regex(second.output, /Running in/);
});

test('removing an image drops the cache of its layers', async (t) => {
  const { store } = await openStore(t);
  await addMiniBase(store);
  const context = await writeContext(t, { Dockerfile: dockerfile(['COPY a.txt /a.txt']), 'a.txt': 'a' });
  await build(store, context, { tags: ['test/cached'] });
  await store.remove('test/cached');
  const second = await build(store, context, { tags: ['test/cached'] });
  t.deepEqual(cachedSteps(second.output), []);
});
