// The `npm run bench` entry point: runs each component's benchmark in its
// own child process, one after another so that they do not compete for the
// CPU, and writes their Markdown sections into BENCHMARKS.md under a
// description of the machine.
//
// A benchmark script hands back its section in one of two ways: it writes
// the Markdown to the file named by BENCH_OUTPUT, or it prints the Markdown
// on stdout. Progress and logs belong on stderr, which is passed through.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The benchmarks in the order they run: the apiserver first, since every later one leans on it. */
const benchmarks = ['apiserver', 'runtime', 'image', 'controllers', 'scheduler', 'kubelet'];

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.dirname(benchDir);
const outputDir = path.join(benchDir, 'out');
const benchmarksFile = path.join(repoDir, 'BENCHMARKS.md');

interface BenchResult {
  name: string;
  exitCode: number;
  seconds: number;
  markdown: string;
}

/** Runs bench/<name>.ts with tsx and collects its Markdown section. */
async function runBenchmark(name: string): Promise<BenchResult> {
  const outputFile = path.join(outputDir, `${name}.md`);
  await rm(outputFile, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, `${name}.ts`)], {
    cwd: repoDir,
    env: { ...process.env, BENCH_OUTPUT: outputFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const seconds = (performance.now() - started) / 1000;
  const markdown = existsSync(outputFile) ? await readFile(outputFile, 'utf8') : Buffer.concat(chunks).toString('utf8');
  return { name, exitCode, seconds, markdown: markdown.trim() };
}

async function cpuModel(): Promise<string> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const line = cpuinfo.split('\n').find((entry) => entry.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
}

/** Describes the machine, because every figure below depends on it. */
async function machineSection(date: Date): Promise<string> {
  const memoryGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  return [
    '## Machine',
    '',
    `- CPU: ${await cpuModel()}`,
    `- Cores: ${os.cpus().length}`,
    `- Memory: ${memoryGiB} GiB`,
    `- Kernel: ${os.type()} ${os.release()}`,
    `- Node: ${process.version}`,
    `- Date: ${date.toISOString()}`,
  ].join('\n');
}

function sectionMarkers(name: string): { begin: string; end: string } {
  return { begin: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` };
}

function formatSection(result: BenchResult, date: Date): string {
  const { begin, end } = sectionMarkers(result.name);
  const body = result.exitCode === 0
    ? result.markdown || `## ${result.name}\n\nThe benchmark printed no results.`
    : `## ${result.name}\n\nThe benchmark failed with exit code ${result.exitCode}; run \`npm run bench -- --only ${result.name}\` to see why.` +
      (result.markdown ? `\n\nPartial output:\n\n${result.markdown}` : '');
  const footer = `_Run on ${date.toISOString().slice(0, 10)} in ${result.seconds.toFixed(1)} s._`;
  return [begin, body, '', footer, end].join('\n');
}

/**
 * Replaces the sections of the results in the existing page, keeping the
 * sections of benchmarks that did not run this time (with --only).
 */
function mergeSections(previous: string, sections: Map<string, string>, machine: string): string {
  const kept = new Map<string, string>();
  for (const name of benchmarks) {
    const { begin, end } = sectionMarkers(name);
    const start = previous.indexOf(begin);
    const stop = previous.indexOf(end);
    if (start >= 0 && stop > start) kept.set(name, previous.slice(start, stop + end.length));
  }
  const ordered = benchmarks
    .map((name) => sections.get(name) ?? kept.get(name))
    .filter((section): section is string => section !== undefined);
  const intro = [
    '# Benchmarks',
    '',
    'Figures from `npm run bench`, which runs each `bench/<name>.ts` in its own process, one after another.',
    'Each section says when it last ran; `npm run bench -- --only NAME` reruns one section and keeps the others.',
  ].join('\n');
  return [intro, machine, ...ordered].join('\n\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { only: { type: 'string', multiple: true }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(`Usage: npm run bench -- [--only NAME]...\n\n  --only NAME  Run only this benchmark (one of: ${benchmarks.join(', ')}); may be repeated`);
    return 0;
  }
  const only = values.only ?? [];
  const unknown = only.filter((name) => !benchmarks.includes(name));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(', ')}; expected one of ${benchmarks.join(', ')}`);
    return 1;
  }

  const selected = only.length > 0 ? benchmarks.filter((name) => only.includes(name)) : benchmarks;
  await mkdir(outputDir, { recursive: true });
  const date = new Date();
  const sections = new Map<string, string>();
  let failures = 0;
  for (const name of selected) {
    if (!existsSync(path.join(benchDir, `${name}.ts`))) {
      console.error(`bench: bench/${name}.ts does not exist; skipping it`);
      continue;
    }
    console.error(`bench: running ${name}`);
    const result = await runBenchmark(name);
    console.error(`bench: ${name} finished in ${result.seconds.toFixed(1)} s with exit code ${result.exitCode}`);
    if (result.exitCode !== 0) failures++;
    sections.set(name, formatSection(result, date));
  }

  const previous = existsSync(benchmarksFile) ? await readFile(benchmarksFile, 'utf8') : '';
  await writeFile(benchmarksFile, mergeSections(previous, sections, await machineSection(date)));
  console.error(`bench: wrote ${path.relative(process.cwd(), benchmarksFile) || benchmarksFile}`);
  return failures > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
