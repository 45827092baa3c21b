// `tinykube image`: build, build-base, ls, inspect, rm, tag and import, each with
// --data-dir (or TINYKUBE_DATA_DIR) and --help.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { dataDirFlag, parseFlags, UsageError, type FlagSpec } from '../../api/flags.js';
import { buildBaseImage } from './base-image.js';
import { buildImage } from './builder.js';
import { ContextError } from './build-context.js';
import { BuildError } from './config-instructions.js';
import { DockerfileSyntaxError } from './dockerfile.js';
import { RunFailedError } from './layer-steps.js';
import { InvalidReferenceError } from './reference.js';
import { formatTable, imageTableRows, inspectImage } from './cli-format.js';
import { ImageStore, ImageNotFoundError, type StoredImage } from './store.js';
import { importArchive } from './import.js';
import { StoreLayout } from './layout.js';
import { StateStore } from '../state.js';

interface ImageSubcommand {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const dataDir = {
  'data-dir': { ...dataDirFlag(), help: 'Data dir of tinykube (the one `tinykube up` uses): images are stored in DATA_DIR/images, and `rm` reads the containers in DATA_DIR/runtime' },
} satisfies Record<string, FlagSpec>;

/**
 * Opens the image store of a data dir for a command that only reads or
 * removes, or returns undefined when the store does not exist, so that such
 * a command creates nothing.
 */
async function openExistingStore(dataDir: string): Promise<ImageStore | undefined> {
  if (!existsSync(new StoreLayout(dataDir).root)) return undefined;
  return ImageStore.open(dataDir);
}

/** Explains an empty result from a data dir that has no image store. */
function missingStoreMessage(dataDir: string): string {
  const reason = existsSync(dataDir) ? 'no image was ever stored there' : 'the data dir does not exist';
  return `no images in ${path.resolve(dataDir)} (${reason})`;
}

/** Returns the values of a flag declared with `multiple`, because parseFlags types them as a single string. */
function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

async function build(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image build [FLAGS] CONTEXT', {
    tag: { type: 'string', short: 't', multiple: true, help: 'Name and optionally a tag, NAME[:TAG]; may be repeated' },
    file: { type: 'string', short: 'f', help: 'Path of the Dockerfile (default CONTEXT/Dockerfile)' },
    'build-arg': { type: 'string', multiple: true, help: 'Set a build-time variable, NAME=VALUE; may be repeated' },
    'no-cache': { type: 'boolean', help: 'Execute every step instead of reusing cached results' },
    quiet: { type: 'boolean', short: 'q', help: 'Print only the image id' },
    ...dataDir,
  });
  if (!parsed) return 0;
  const [contextDir, ...extra] = parsed.positionals;
  if (!contextDir || extra.length > 0) throw new UsageError('tinykube image build needs exactly one CONTEXT directory');
  const values = parsed.values;

  const buildArgs: Record<string, string> = {};
  for (const pair of stringList(values['build-arg'])) {
    const equals = pair.indexOf('=');
    if (equals > 0) buildArgs[pair.slice(0, equals)] = pair.slice(equals + 1);
    // `--build-arg NAME` takes the value from this process's environment, as docker does.
    else if (process.env[pair] !== undefined) buildArgs[pair] = process.env[pair] ?? '';
  }

  const store = await ImageStore.open(values['data-dir']);
  try {
    const image = await buildImage(store, {
      contextDir,
      ...(values.file ? { dockerfile: path.resolve(values.file) } : {}),
      tags: stringList(values.tag),
      buildArgs,
      noCache: values['no-cache'] === true,
      ...(values.quiet ? {} : { output: (text: string) => process.stdout.write(text) }),
    });
    if (values.quiet) console.log(image.id);
    return 0;
  } catch (error) {
    // Mistakes in the Dockerfile or its context are the user's to fix: one line, no stack.
    const userErrors = [BuildError, RunFailedError, DockerfileSyntaxError, InvalidReferenceError, ContextError];
    if (!userErrors.some((type) => error instanceof type)) throw error;
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
}

async function buildBase(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image build-base [FLAGS]', {
    tag: { type: 'string', short: 't', help: 'Reference to store the image under', default: 'tinykube/base:latest' },
    'no-python': { type: 'boolean', help: 'Leave out python3 and its standard library' },
    ...dataDir,
  });
  if (!parsed) return 0;
  const values = parsed.values;
  const started = Date.now();
  const store = await ImageStore.open(values['data-dir']);
  const image = await buildBaseImage(store, {
    reference: values.tag,
    python: values['no-python'] !== true,
    onProgress: (message) => console.log(message),
  });
  console.log(`Built ${values.tag} (${image.id}), ${(image.size / 1e6).toFixed(1)} MB, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image ls [FLAGS]', {
    quiet: { type: 'boolean', short: 'q', help: 'Print only image ids' },
    ...dataDir,
  });
  if (!parsed) return 0;
  const values = parsed.values;
  const store = await openExistingStore(values['data-dir']);
  if (!store) {
    if (!values.quiet) console.error(missingStoreMessage(values['data-dir']));
    return 0;
  }
  const images = await store.listStored();
  if (values.quiet) {
    for (const image of images) console.log(image.id.slice('sha256:'.length, 'sha256:'.length + 12));
    return 0;
  }
  console.log(formatTable(imageTableRows(images, Date.now())));
  return 0;
}

function graphDriverPaths(store: ImageStore, image: StoredImage) {
  const dirs = image.layers.map((layer) => store.layout.layerDir(layer.diffID)).reverse();
  const [top, ...lower] = dirs;
  if (!top) return undefined;
  return {
    lowerDirs: lower.map((dir) => path.join(dir, 'diff')),
    upperDir: path.join(top, 'diff'),
    mergedDir: path.join(top, 'merged'),
    workDir: path.join(top, 'work'),
  };
}

async function inspect(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image inspect [FLAGS] IMAGE...', { ...dataDir });
  if (!parsed) return 0;
  if (parsed.positionals.length === 0) throw new UsageError('tinykube image inspect needs at least one IMAGE');
  const store = await openExistingStore(parsed.values['data-dir']);
  if (!store) console.error(missingStoreMessage(parsed.values['data-dir']));
  const found: Record<string, unknown>[] = [];
  let code = 0;
  for (const name of parsed.positionals) {
    const image = await store?.findImage(name);
    if (!image) {
      console.error(`Error: No such image: ${name}`);
      code = 1;
      continue;
    }
    if (store) found.push(inspectImage(image, graphDriverPaths(store, image)));
  }
  console.log(JSON.stringify(found, null, 4));
  return code;
}

/** Lists the ids of the containers in a data dir's runtime state, grouped by the id of the image each uses. */
async function containersByImage(dataDir: string): Promise<Map<string, string[]>> {
  // The records are read from disk only: no runtime is opened, so nothing starts or changes.
  const records = await new StateStore(path.join(dataDir, 'runtime')).loadContainers();
  const byImage = new Map<string, string[]>();
  for (const record of records) byImage.set(record.imageId, [...(byImage.get(record.imageId) ?? []), record.id]);
  return byImage;
}

/**
 * Returns why removing an image would break a container, in docker's words,
 * or undefined when no container uses it. A container restart mounts the
 * image's layers again, so stopped containers count as well.
 */
function removalConflict(name: string, image: StoredImage, users: Map<string, string[]>): string | undefined {
  const [container] = users.get(image.id) ?? [];
  if (container === undefined) return undefined;
  const short = container.slice(0, 12);
  const byId = /^(sha256:)?[0-9a-f]+$/.test(name) && image.id.slice('sha256:'.length).startsWith(name.replace(/^sha256:/, ''));
  if (byId) return `conflict: unable to delete ${name} (must be forced) - image is being used by container ${short}`;
  return `conflict: unable to remove repository reference "${name}" (must force) - container ${short} is using its referenced image ID ${image.id.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

async function remove(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image rm [FLAGS] IMAGE...', {
    force: { type: 'boolean', short: 'f', help: 'Remove images that containers in DATA_DIR/runtime use; those containers then fail to start again' },
    ...dataDir,
  });
  if (!parsed) return 0;
  if (parsed.positionals.length === 0) throw new UsageError('tinykube image rm needs at least one IMAGE');
  const store = await openExistingStore(parsed.values['data-dir']);
  const users = parsed.values.force ? new Map<string, string[]>() : await containersByImage(parsed.values['data-dir']);
  let code = 0;
  for (const name of parsed.positionals) {
    const image = await store?.findImage(name);
    if (!store || !image) {
      console.error(`Error: No such image: ${name}`);
      code = 1;
      continue;
    }
    const conflict = removalConflict(name, image, users);
    if (conflict) {
      console.error(`Error: ${conflict}`);
      code = 1;
      continue;
    }
    try {
      const { untagged, deleted } = await store.remove(name);
      for (const reference of untagged) console.log(`Untagged: ${reference}`);
      for (const digest of deleted) console.log(`Deleted: ${digest}`);
    } catch (error) {
      if (!(error instanceof ImageNotFoundError)) throw error;
      console.error(`Error: No such image: ${name}`);
      code = 1;
    }
  }
  return code;
}

async function tag(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image tag [FLAGS] SOURCE TARGET', { ...dataDir });
  if (!parsed) return 0;
  const [source, target, ...extra] = parsed.positionals;
  if (!source || !target || extra.length > 0) throw new UsageError('tinykube image tag needs a SOURCE image and a TARGET reference');
  const store = await ImageStore.open(parsed.values['data-dir']);
  try {
    await store.tag(source, target);
    return 0;
  } catch (error) {
    if (!(error instanceof ImageNotFoundError)) throw error;
    console.error(`Error: No such image: ${source}`);
    return 1;
  }
}

async function importCommand(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube image import [FLAGS] FILE', {
    tag: { type: 'string', short: 't', help: 'Reference for an image the archive does not name, NAME[:TAG]' },
    ...dataDir,
  });
  if (!parsed) return 0;
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) throw new UsageError('tinykube image import needs exactly one FILE (a docker save archive or an OCI layout tarball)');
  const values = parsed.values;
  const store = await ImageStore.open(values['data-dir']);
  const images = await importArchive(store, file, { ...(values.tag ? { tag: values.tag } : {}) });
  for (const image of images) {
    if (image.references.length === 0) console.log(`Loaded image ID: ${image.id}`);
    for (const reference of image.references) console.log(`Loaded image: ${reference}`);
  }
  return 0;
}

const subcommands: Record<string, ImageSubcommand> = {
  build: { summary: 'Build an image from a Dockerfile', run: build },
  'build-base': { summary: 'Assemble tinykube/base from this host\'s binaries', run: buildBase },
  ls: { summary: 'List images', run: list },
  inspect: { summary: 'Show images as JSON, with their layer dirs', run: inspect },
  rm: { summary: 'Remove images', run: remove },
  tag: { summary: 'Give an image another reference', run: tag },
  import: { summary: 'Load images from a docker save archive or an OCI layout tarball', run: importCommand },
};
const aliases: Record<string, string> = { list: 'ls', images: 'ls', remove: 'rm', rmi: 'rm', load: 'import' };

function usage(): string {
  const width = Math.max(...Object.keys(subcommands).map((name) => name.length));
  const lines = Object.entries(subcommands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return ['Usage: tinykube image COMMAND [FLAGS]', '', 'Commands:', ...lines, '', 'Run `tinykube image COMMAND --help` for the flags of a command.'].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name = '', ...rest] = argv;
  if (name === '' || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === '' ? 1 : 0;
  }
  const command = subcommands[aliases[name] ?? name];
  if (!command) {
    console.error(`tinykube image: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

