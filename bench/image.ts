// Image store figures. It measures how long tinykube/base takes to assemble
// from the host's binaries and how big it is, with and without python3. It
// also times a course-lab image (FROM tinykube/base, COPY, CMD) and a RUN
// step, executed and from the cache. Each figure is the median of several
// runs in a fresh data dir under the system temp dir. Usage:
//   node --import tsx bench/image.ts [--runs 5]

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBaseImage } from '../runtime/image/base-image.js';
import { buildImage } from '../runtime/image/builder.js';
import { ImageStore, type StoredImage } from '../runtime/image/store.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Math.max(1, Number(values.runs));

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

async function withDataDir<T>(fn: (store: ImageStore, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tinykube-bench-image-'));
  try {
    return await fn(await ImageStore.open(dataDir), dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface BaseFigures {
  ms: number;
  contentMb: number;
  blobMb: number;
  storeMb: number;
}

async function measureBase(python: boolean): Promise<BaseFigures> {
  const samples: number[] = [];
  let image: StoredImage | undefined;
  let storeMb = 0;
  for (let run = 0; run < runs; run++) {
    await withDataDir(async (store, dataDir) => {
      const { ms, result } = await timed(() => buildBaseImage(store, { python }));
      samples.push(ms);
      image = result;
      storeMb = Number(execFileSync('du', ['-sm', path.join(dataDir, 'images')], { encoding: 'utf8' }).split('\t')[0]);
    });
    process.stderr.write(`base (python ${python}) run ${run + 1}/${runs}: ${samples.at(-1)?.toFixed(0)} ms\n`);
  }
  const layer = image?.layers[0];
  return { ms: median(samples), contentMb: (image?.size ?? 0) / 1e6, blobMb: (layer?.blobSize ?? 0) / 1e6, storeMb };
}

async function measureBuilds(): Promise<{ coldCopy: number; cachedCopy: number; coldRun: number }> {
  return withDataDir(async (store) => {
    await buildBaseImage(store, { python: false });
    const context = await mkdtemp(path.join(tmpdir(), 'tinykube-bench-context-'));
    try {
      await writeFile(path.join(context, 'x.sh'), 'echo hello\n');
      await writeFile(path.join(context, 'Dockerfile'), 'FROM tinykube/base\nCOPY x.sh /x.sh\nCMD ["/bin/sh", "/x.sh"]\n');
      const runContext = path.join(context, 'run');
      execFileSync('mkdir', [runContext]);
      await writeFile(path.join(runContext, 'Dockerfile'), 'FROM tinykube/base\nRUN echo hi > /hi\n');

      const coldCopy: number[] = [];
      const cachedCopy: number[] = [];
      const coldRun: number[] = [];
      for (let run = 0; run < runs * 2; run++) {
        coldCopy.push((await timed(() => buildImage(store, { contextDir: context, tags: ['lab'], noCache: true }))).ms);
        cachedCopy.push((await timed(() => buildImage(store, { contextDir: context, tags: ['lab'] }))).ms);
        coldRun.push((await timed(() => buildImage(store, { contextDir: runContext, tags: ['lab-run'], noCache: true }))).ms);
      }
      return { coldCopy: median(coldCopy), cachedCopy: median(cachedCopy), coldRun: median(coldRun) };
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });
}

const withPython = await measureBase(true);
const withoutPython = await measureBase(false);
const builds = await measureBuilds();

const row = (name: string, figures: BaseFigures) =>
  `| ${name} | ${(figures.ms / 1000).toFixed(2)} s | ${figures.contentMb.toFixed(1)} MB | ${figures.blobMb.toFixed(1)} MB | ${figures.storeMb} MB |`;
const markdown = [
  '## Images',
  '',
  `tinykube/base assembled from this host's binaries, median of ${runs} runs in a fresh data dir:`,
  '',
  '| Variant | Build time | File content | Layer tarball | Store on disk |',
  '| --- | --- | --- | --- | --- |',
  row('with python3 (the default)', withPython),
  row('without python3 (`--no-python`)', withoutPython),
  '',
  `Builds on top of it, median of ${runs * 2} runs, in-process (no CLI start-up):`,
  '',
  `- lab image (FROM, COPY, CMD), every step executed: ${builds.coldCopy.toFixed(0)} ms`,
  `- the same image, every step from the cache: ${builds.cachedCopy.toFixed(0)} ms`,
  `- one RUN step (\`RUN echo hi > /hi\`), executed: ${builds.coldRun.toFixed(0)} ms`,
].join('\n');

if (process.env.BENCH_OUTPUT) await writeFile(process.env.BENCH_OUTPUT, markdown + '\n');
else console.log(markdown);
