// Runs `tinykube up` as a child process with names no other test uses (data
// dir, bridge, pod CIDR, cgroup root, ports), and drives it with the real
// kubectl, as a user would.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterNames } from './host-state.js';

export const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const manifestsDir = path.join(repoDir, 'manifests');
const tinykubeBin = path.join(repoDir, 'bin', 'tinykube.js');
const kubectlBin = '/usr/bin/kubectl';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result, not an exception. */
export function runCommand(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, {
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`, { cause: error }));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Retries check every 500 ms until it returns a value other than undefined or false, or throws after timeoutMs. */
export async function waitUntil<T>(description: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${description}${reason}`);
}

/** Picks a pod CIDR in 10.0.0.0/8 that no route on the host overlaps. */
async function freePodCIDR(): Promise<string> {
  const routes = (await runCommand('ip', ['-4', 'route', 'show'])).stdout;
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}.`;
    if (!routes.includes(prefix)) return `${prefix}0/24`;
  }
}

export interface KubectlOptions {
  input?: string;
  timeoutMs?: number;
  requestTimeout?: string;
}

export class TestCluster {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  private output = '';
  kubeconfig = '';

  private constructor(readonly names: ClusterNames, readonly nodeName: string) {}

  static async create(): Promise<TestCluster> {
    const suffix = randomBytes(3).toString('hex');
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tinykube-e2e-'));
    return new TestCluster({
      dataDir,
      cgroupRoot: `tinykube-e2e-${suffix}`,
      bridgeName: `tkb${suffix}`,
      podCIDR: await freePodCIDR(),
    }, `e2e-node-${suffix}`);
  }

  /** Everything `tinykube up` printed so far, on stdout and stderr, for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Starts `tinykube up` and resolves once it reports the node Ready. */
  async up(timeoutMs = 150_000): Promise<void> {
    const { dataDir, bridgeName, podCIDR, cgroupRoot } = this.names;
    const child = spawn(process.execPath, [tinykubeBin, 'up', '--data-dir', dataDir, '--port', '0', '--bridge', bridgeName,
      '--pod-cidr', podCIDR, '--cgroup-root', cgroupRoot, '--kubelet-port', '0', '--node-name', this.nodeName], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TINYKUBE_LOG_LEVEL: 'info' },
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));

    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    await waitUntil('tinykube up to report the node Ready', timeoutMs, async () => {
      if (exitCode !== undefined) throw new Error(`tinykube up exited with code ${exitCode}:\n${this.output}`);
      return this.output.includes(`Node ${this.nodeName} is Ready`);
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- tinykube up output ---\n${this.output}`, { cause: error });
    });
    this.kubeconfig = path.join(dataDir, 'admin.kubeconfig');
  }

  /**
   * Runs kubectl against the cluster. Each API request gives up after
   * requestTimeout, except with "0", which long watches such as
   * `kubectl rollout status` need.
   */
  kubectl(args: string[], options: KubectlOptions = {}): Promise<CommandResult> {
    const requestTimeout = options.requestTimeout ?? '30s';
    return runCommand(kubectlBin, [`--request-timeout=${requestTimeout}`, ...args], { ...options, env: { KUBECONFIG: this.kubeconfig } });
  }

  /** Runs kubectl and returns its stdout, throwing with its stderr when it fails. */
  async kubectlOk(args: string[], options: KubectlOptions = {}): Promise<string> {
    const result = await this.kubectl(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  /** Reads one field of an object through kubectl's JSONPath output. */
  async jsonpath(namespace: string, object: string, expression: string): Promise<string> {
    return this.kubectlOk(['-n', namespace, 'get', object, '-o', `jsonpath=${expression}`]);
  }

  tinykube(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
    return runCommand(process.execPath, [tinykubeBin, ...args], { timeoutMs, env: { TINYKUBE_DATA_DIR: this.names.dataDir } });
  }

  /** Stops `tinykube up` with SIGTERM, as Ctrl-C would, and resolves with its exit code; SIGKILL after timeoutMs. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    const { child, exited } = this;
    if (!child?.pid || !exited) return null;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the exit code of `tinykube up` once it exits, or undefined after timeoutMs. */
  async waitForExit(timeoutMs: number): Promise<number | null | undefined> {
    if (!this.exited) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `tinykube down` on the data dir, with --purge by default. */
  async down(options: { purge: boolean } = { purge: true }): Promise<CommandResult> {
    return this.tinykube(['down', '--data-dir', this.names.dataDir, ...(options.purge ? ['--purge'] : [])]);
  }

  /** Stops the cluster and removes it whatever state the test left it in; for after.always hooks. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    if (existsSync(this.names.dataDir)) await this.down();
  }
}
