// `tinykube image build`: runs a Dockerfile step by step, as docker's classic
// builder does. Every step starts from a state (an image config naming its
// layers), consults the build cache, and otherwise executes: config-only
// instructions edit the config, RUN, COPY and ADD add a layer. Progress is
// printed in docker's words (`Step 2/4 : COPY …`, ` ---> Using cache`).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildCache, cacheKey } from './build-cache.js';
import { BuildContext, ContextError } from './build-context.js';
import {
  applyConfigInstruction, BuildError, commandOf, envMap,
} from './config-instructions.js';
import { shortId } from './digest.js';
import { type Dockerfile, type Instruction, parseDockerfile } from './dockerfile.js';
import { copyStep, resolveImageUser, runStep, withImageRoot } from './layer-steps.js';
import type { LayerRecord } from './layer-store.js';
import { hostArchitecture, type ImageConfigFile } from './oci.js';
import { parseReference, formatReference } from './reference.js';
import { splitWords } from './shell-words.js';
import { copyInstructionText, parseCopyArguments } from './copy-instruction.js';
import type { ImageStore, Lease, StoredImage } from './store.js';
import { defaultPath } from './base-image.js';

export interface BuildOptions {
  contextDir: string;
  /** Path of the Dockerfile; <contextDir>/Dockerfile by default. */
  dockerfile?: string;
  /** References to tag the result with, such as `lab-hello` or `lab-hello:1`. */
  tags: string[];
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  /** Receives progress and the output of RUN steps; nothing is printed by default. */
  output?: (text: string) => void;
}

/** The input and output of each step: an image config, stored as a blob, and its layers. */
interface BuildState {
  /** Digest of the config blob, or `scratch`. */
  digest: string;
  configFile: ImageConfigFile;
  layers: LayerRecord[];
}

const layerKeywords = new Set(['RUN', 'COPY', 'ADD']);
const ignoredKeywords = new Set(['MAINTAINER', 'ONBUILD', 'HEALTHCHECK']);

function scratchState(): BuildState {
  return { digest: 'scratch', configFile: { architecture: hostArchitecture(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }, layers: [] };
}

class Build {
  private readonly cache: BuildCache;
  private readonly print: (text: string) => void;
  /** ARGs declared before the first FROM, usable in FROM lines. */
  private readonly globalArgs = new Map<string, string>();
  /** ARGs declared in the current stage, with their values. */
  private stageArgs = new Map<string, string>();
  /** Final states of the finished stages, by index and by `AS` name, for FROM and COPY --from. */
  private readonly stages = new Map<string, BuildState>();
  private stageCount = 0;
  private stageName: string | undefined;
  private state: BuildState | undefined;
  private cmdSetInStage = false;

  constructor(
    private readonly store: ImageStore,
    private readonly dockerfile: Dockerfile,
    private readonly context: BuildContext,
    private readonly options: BuildOptions,
    private readonly lease: Lease,
  ) {
    this.cache = new BuildCache(store.layout, store.blobs, store.layers);
    this.print = options.output ?? (() => undefined);
  }

  async run(): Promise<BuildState> {
    const { instructions } = this.dockerfile;
    for (const [index, instruction] of instructions.entries()) {
      this.print(`Step ${index + 1}/${instructions.length} : ${instruction.original}\n`);
      await this.step(instruction);
    }
    if (!this.state) throw new Error('build: the Dockerfile made no image');
    return this.state;
  }

  private async step(instruction: Instruction): Promise<void> {
    if (instruction.keyword === 'FROM') return this.from(instruction);
    if (instruction.keyword === 'ARG') return this.arg(instruction);
    const state = this.state;
    if (!state) throw new BuildError(instruction, 'comes before any FROM');
    if (ignoredKeywords.has(instruction.keyword)) {
      this.print(` ---> ${instruction.keyword} is not supported and was skipped\n`);
      return;
    }
    if (layerKeywords.has(instruction.keyword)) return this.layerStep(instruction, state);
    return this.configStep(instruction, state);
  }

  private async from(instruction: Instruction): Promise<void> {
    const words = splitWords(instruction.rest, this.globalArgs, { escape: this.dockerfile.escape });
    const [name, as, stageName] = words;
    if (!name || (as !== undefined && (as.toLowerCase() !== 'as' || !stageName)) || words.length > 3) {
      throw new BuildError(instruction, 'expected FROM IMAGE [AS NAME]');
    }
    this.finishStage();

    const stage = this.stages.get(name.toLowerCase());
    if (name === 'scratch') {
      this.state = scratchState();
    } else if (stage) {
      this.state = stage;
    } else {
      this.state = await this.imageState(instruction, name);
    }
    this.stageName = stageName?.toLowerCase();
    this.stageArgs = new Map();
    this.cmdSetInStage = false;
    this.print(` ---> ${this.state.digest === 'scratch' ? 'scratch' : shortId(this.state.digest)}\n`);
  }

  /** Records the state the current stage ended with, so later stages can use it. */
  private finishStage(): void {
    if (!this.state) return;
    this.stages.set(String(this.stageCount++), this.state);
    if (this.stageName) this.stages.set(this.stageName, this.state);
  }

  /** Loads a local image as a build state and protects its layers for the rest of the build. */
  private async imageState(instruction: Instruction, name: string): Promise<BuildState> {
    const image = await this.store.findImage(name);
    if (!image) throw new BuildError(instruction, `image ${name} not found in the local store; build or import it first (there is no registry)`);
    await this.lease.add(image.layers.map((layer) => layer.diffID));
    return { digest: image.id, configFile: structuredClone(image.configFile), layers: image.layers };
  }

  private arg(instruction: Instruction): void {
    const words = splitWords(instruction.rest, this.variables(), { escape: this.dockerfile.escape });
    for (const word of words) {
      const equals = word.indexOf('=');
      const name = equals < 0 ? word : word.slice(0, equals);
      const fallback = equals < 0 ? this.globalArgs.get(name) : word.slice(equals + 1);
      const value = this.options.buildArgs?.[name] ?? fallback;
      const scope = this.state ? this.stageArgs : this.globalArgs;
      if (value !== undefined) scope.set(name, value);
    }
    if (this.state) this.print(` ---> ${this.stateId()}\n`);
  }

  /** Variables for substitution: ARG values, overridden by ENV ones as docker does. */
  private variables(): Map<string, string> {
    if (!this.state) return this.globalArgs;
    return new Map([...this.stageArgs, ...envMap(this.state.configFile.config ?? {})]);
  }

  private stateId(): string {
    return this.state && this.state.digest !== 'scratch' ? shortId(this.state.digest) : 'scratch';
  }

  private async configStep(instruction: Instruction, state: BuildState): Promise<void> {
    const configFile = structuredClone(state.configFile);
    const config = configFile.config ?? {};
    configFile.config = config;
    const text = applyConfigInstruction(instruction, config, {
      variables: this.variables(), escape: this.dockerfile.escape, cmdSetInStage: this.cmdSetInStage,
    });
    if (instruction.keyword === 'CMD') this.cmdSetInStage = true;
    await this.commitStep(state, { text, configFile });
  }

  private async layerStep(instruction: Instruction, state: BuildState): Promise<void> {
    if (instruction.keyword === 'RUN') return this.runInstruction(instruction, state);
    return this.copyInstruction(instruction, state);
  }

  private async runInstruction(instruction: Instruction, state: BuildState): Promise<void> {
    const config = state.configFile.config ?? {};
    const command = commandOf(instruction, config);
    // Build args reach RUN through its environment, so they are part of its cache key.
    const args = [...this.stageArgs].filter(([name]) => !envMap(config).has(name)).map(([name, value]) => `${name}=${value}`);
    const step = { text: `RUN ${JSON.stringify(command)}`, inputs: args.join('\n'), createdBy: command.join(' ') };
    await this.commitStep(state, step, () => this.runCommand(state, command, args));
  }

  private async copyInstruction(instruction: Instruction, state: BuildState): Promise<void> {
    const args = parseCopyArguments(instruction, state.configFile.config?.WorkingDir, this.variables(), this.dockerfile.escape);

    // Sources from the context are digested by content. Sources from another
    // stage or image are known by that state's digest, which changes whenever
    // its content does.
    const sourceState = args.from !== undefined ? await this.sourceState(instruction, args.from) : undefined;
    const sources: string[] = [];
    if (!sourceState) for (const source of args.sources) sources.push(...(await this.context.expandSource(source)));
    const inputs = sourceState ? `from ${sourceState.digest}` : await this.context.digestSources(sources);
    const text = copyInstructionText(instruction.keyword, args, sourceState ? args.sources : sources);

    await this.commitStep(state, { text, inputs }, async () => {
      const layerDirs = state.layers.map((layer) => this.store.layers.diffDir(layer.diffID));
      const owner = await resolveImageUser(layerDirs, args.chown);
      const copy = (context: BuildContext, expanded: string[]) => copyStep({ store: this.store, layerDirs }, {
        context, sources: expanded, destination: args.destination, owner, unpackArchives: instruction.keyword === 'ADD',
        ...(args.chmod ? { mode: parseInt(args.chmod, 8) } : {}),
      });
      if (!sourceState) return copy(this.context, sources);

      const sourceDirs = sourceState.layers.map((layer) => this.store.layers.diffDir(layer.diffID));
      return withImageRoot(this.store, sourceDirs, async (root) => {
        const context = BuildContext.forRoot(root);
        const expanded: string[] = [];
        for (const source of args.sources) expanded.push(...(await context.expandSource(source)));
        return copy(context, expanded);
      });
    });
  }

  /** Finds the state COPY --from reads: an earlier stage by name or index, or a local image. */
  private async sourceState(instruction: Instruction, from: string): Promise<BuildState> {
    return this.stages.get(from.toLowerCase()) ?? this.imageState(instruction, from);
  }

  private async runCommand(state: BuildState, command: string[], args: string[]): Promise<LayerRecord> {
    const config = state.configFile.config ?? {};
    const layerDirs = state.layers.map((layer) => this.store.layers.diffDir(layer.diffID));
    const env = [...(config.Env ?? []), ...args];
    if (!envMap(config).has('PATH')) env.unshift(`PATH=${defaultPath}`);
    this.print(` ---> Running in ${randomBytes(6).toString('hex')}\n`);
    return runStep({ store: this.store, layerDirs }, {
      command,
      env,
      workingDir: config.WorkingDir || '/',
      user: await resolveImageUser(layerDirs, config.User),
      onOutput: (chunk) => this.print(chunk.toString()),
    });
  }

  /**
   * Finishes a step: reuses the cached state for the same parent, text and
   * inputs, or executes (makeLayer) and records the new state.
   */
  private async commitStep(
    parent: BuildState,
    step: { text: string; inputs?: string; configFile?: ImageConfigFile; createdBy?: string },
    makeLayer?: () => Promise<LayerRecord>,
  ): Promise<void> {
    const key = cacheKey({ parent: parent.digest, instruction: step.text, ...(step.inputs !== undefined ? { inputs: step.inputs } : {}) });
    const cached = this.options.noCache ? undefined : await this.cache.lookup(key);
    if (cached) {
      const layers = await this.layersOf(cached.configFile);
      await this.lease.add(layers.map((layer) => layer.diffID));
      this.state = { digest: cached.digest, configFile: cached.configFile, layers };
      this.print(` ---> Using cache\n ---> ${shortId(cached.digest)}\n`);
      return;
    }

    const configFile = structuredClone(step.configFile ?? parent.configFile);
    const layers = [...parent.layers];
    const created = new Date().toISOString();
    if (makeLayer) {
      const layer = await makeLayer();
      await this.lease.add([layer.diffID]);
      layers.push(layer);
      configFile.rootfs = { type: 'layers', diff_ids: layers.map((entry) => entry.diffID) };
    }
    configFile.created = created;
    const createdBy = step.createdBy ?? `/bin/sh -c #(nop) ${step.text}`;
    configFile.history = [...(configFile.history ?? []), { created, created_by: createdBy, ...(makeLayer ? {} : { empty_layer: true }) }];

    const blob = await this.store.blobs.putJson(configFile);
    await this.cache.store(key, blob.digest);
    this.state = { digest: blob.digest, configFile, layers };
    this.print(` ---> ${shortId(blob.digest)}\n`);
  }

  private async layersOf(configFile: ImageConfigFile): Promise<LayerRecord[]> {
    const layers: LayerRecord[] = [];
    for (const diffID of configFile.rootfs.diff_ids) {
      const layer = await this.store.layers.get(diffID);
      if (!layer) throw new Error(`build: cached layer ${diffID} disappeared`);
      layers.push(layer);
    }
    return layers;
  }
}

/** Builds an image from a Dockerfile and tags it; throws BuildError, RunFailedError or a context error on failure. */
export async function buildImage(store: ImageStore, options: BuildOptions): Promise<StoredImage> {
  const tags = options.tags.map((tag) => formatReference(parseReference(tag)));
  const dockerfilePath = options.dockerfile ?? path.join(options.contextDir, 'Dockerfile');
  let text: string;
  try {
    text = await readFile(dockerfilePath, 'utf8');
  } catch (error) {
    throw new ContextError(`read Dockerfile ${dockerfilePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const dockerfile = parseDockerfile(text);
  const context = await BuildContext.open(options.contextDir);

  const lease = await store.lease();
  try {
    const state = await new Build(store, dockerfile, context, options, lease).run();
    const image = await store.commitImage({ configFile: state.configFile, layers: state.layers, references: tags });
    options.output?.(`Successfully built ${shortId(image.id)}\n`);
    for (const tag of tags) options.output?.(`Successfully tagged ${tag}\n`);
    return image;
  } finally {
    await lease.release();
  }
}
