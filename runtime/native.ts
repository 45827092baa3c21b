// Running tkinit, the native init built from runtime/native/src by
// runtime/native/build.sh. Each call runs it once, through a long-lived
// `tkinit serve`; the processes it leaves behind (a pod's holder, a
// container's monitor) are native, never Node.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const tkinitPath = fileURLToPath(new URL('./native/build/tkinit', import.meta.url));

export class NativeError extends Error {
  constructor(message: string, readonly exitCode: number | null, readonly stderr: string, readonly stdout = '') {
    super(message);
    this.name = 'NativeError';
  }
}

export function assertNativeBuilt(): void {
  if (!existsSync(tkinitPath)) {
    throw new Error(`${tkinitPath} is missing: build it with runtime/native/build.sh (needs gcc)`);
  }
}

/** Encodes options as tkinit's `key=value` arguments, repeating arrays and skipping undefined values. */
export function nativeArguments(options: Record<string, string | number | boolean | undefined | (string | number)[]>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    if (Array.isArray(value)) for (const item of value) args.push(`${key}=${item}`);
    else args.push(`${key}=${value === true ? 1 : value}`);
  }
  return args;
}

export interface NativeRun {
  stdout: string;
  stderr: string;
  /** Null while the process still runs, after `untilFirstLine`. */
  exitCode: number | null;
  /** The tkinit process, which is the container's monitor in `start` mode. */
  pid: number | undefined;
}

export interface NativeRunOptions {
  untilFirstLine?: boolean;
  input?: string;
}

function finishRun(mode: string, run: NativeRun): NativeRun {
  if (run.exitCode !== null && run.exitCode !== 0) {
    throw new NativeError(run.stderr.trim() || `tkinit ${mode} exited with status ${run.exitCode}`, run.exitCode, run.stderr, run.stdout);
  }
  return run;
}

/**
 * Runs tkinit until it exits or, with `untilFirstLine`, until it prints its
 * first stdout line (a monitor does that once the container runs, then keeps
 * going on its own). Rejects with the tkinit message on failure. The call
 * goes through the process's long-lived `tkinit serve`, because a fork of
 * that small process costs the event loop far less than a fork of Node.
 * When the helper cannot be spawned, each call spawns tkinit itself.
 */
export async function runNative(mode: string, args: string[], options: NativeRunOptions = {}): Promise<NativeRun> {
  const helper = nativeHelper();
  if (helper) {
    try {
      return finishRun(mode, await helper.request(mode, args, options));
    } catch (error) {
      if (!(error instanceof HelperExitedError)) throw error;
    }
  }
  return finishRun(mode, await spawnNative(mode, args, options));
}

/** Runs tkinit as a child of this process. */
function spawnNative(mode: string, args: string[], options: NativeRunOptions): Promise<NativeRun> {
  const stdio: StdioOptions = [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
  const child = spawn(tkinitPath, [mode, ...args], { stdio, detached: true });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      child.unref();
      resolve({ stdout, stderr, exitCode, pid: child.pid });
    };

    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.untilFirstLine && stdout.includes('\n')) finish(null);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      settled = true;
      reject(new Error(`spawn \`${tkinitPath}\``, { cause: error }));
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : null)));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The helper could not be spawned, so no request reached it and each may be sent again. */
class HelperExitedError extends Error {}

interface PendingRequest {
  resolve: (run: NativeRun) => void;
  reject: (error: Error) => void;
}

/**
 * A `tkinit serve` process and its request protocol: a request is a length
 * line and NUL-terminated fields, a response is a header line
 * "ID PID CODE STDOUT_LENGTH STDERR_LENGTH" and the two outputs.
 */
class NativeHelper {
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, PendingRequest>();
  private output: Buffer = Buffer.alloc(0);
  private nextId = 1;
  exited = false;

  constructor() {
    this.child = spawn(tkinitPath, ['serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    this.child.stdout?.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stdin?.on('error', () => undefined);
    this.child.on('error', (error) => this.fail(new HelperExitedError(`spawn \`${tkinitPath} serve\``, { cause: error })));
    // A request in flight may have run, so it fails rather than run twice.
    this.child.on('exit', (code, signal) => this.fail(new Error(`\`${tkinitPath} serve\` exited with ${signal ?? `status ${code}`}: ${stderr.trim()}`)));
    this.setReferenced(false);
  }

  request(mode: string, args: string[], options: NativeRunOptions): Promise<NativeRun> {
    const id = String(this.nextId++);
    const fields = [id, options.untilFirstLine ? '1' : '0', options.input ?? '', mode, ...args];
    const payload = Buffer.from(fields.map((field) => `${field}\0`).join(''));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.setReferenced(true);
      this.child.stdin?.write(Buffer.concat([Buffer.from(`${payload.length}\n`), payload]));
    });
  }

  /** Keeps this process alive only while a request waits for its response. */
  private setReferenced(referenced: boolean): void {
    // The pipes of a spawned child are sockets, which hold the event loop open until unref'd.
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      if (!(stream instanceof Socket)) continue;
      if (referenced) stream.ref();
      else stream.unref();
    }
    if (referenced) this.child.ref();
    else this.child.unref();
  }

  private receive(chunk: Buffer): void {
    this.output = this.output.length === 0 ? chunk : Buffer.concat([this.output, chunk]);
    for (;;) {
      const newline = this.output.indexOf(10);
      if (newline < 0) return;
      const [id = '', pid, code, stdoutLength, stderrLength] = this.output.subarray(0, newline).toString('utf8').split(' ');
      const end = newline + 1 + Number(stdoutLength) + Number(stderrLength);
      if (this.output.length < end) return;

      const stdoutEnd = newline + 1 + Number(stdoutLength);
      const run: NativeRun = {
        stdout: this.output.subarray(newline + 1, stdoutEnd).toString('utf8'),
        stderr: this.output.subarray(stdoutEnd, end).toString('utf8'),
        exitCode: Number(code) < 0 ? null : Number(code),
        pid: Number(pid),
      };
      this.output = this.output.subarray(end);
      const request = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) this.setReferenced(false);
      request?.resolve(run);
    }
  }

  private fail(error: Error): void {
    this.exited = true;
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
    this.setReferenced(false);
  }
}

let helper: NativeHelper | undefined;

/** Returns this process's helper, starting a new one after the previous one exited. */
function nativeHelper(): NativeHelper | undefined {
  if (helper === undefined || helper.exited) helper = new NativeHelper();
  return helper;
}
