// Runs the real kubectl against a test apiserver, with a discovery cache of
// its own so that no test reads another server's cached OpenAPI documents.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import { startTestApiserver, type TestApiserver } from './apiserver.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Kubectl = (args: string[], stdin?: string) => Promise<KubectlResult>;

export function kubectlFor(server: TestApiserver): Kubectl {
  return (args, stdin) => new Promise((resolve) => {
    const child = execFile('/usr/bin/kubectl', [`--kubeconfig=${server.kubeconfigPath}`, `--cache-dir=${join(server.dataDir, 'kubectl-cache')}`, ...args],
      { timeout: 60_000, env: { ...process.env, KUBECONFIG: server.kubeconfigPath } },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      });
    child.stdin?.end(stdin ?? '');
  });
}

export interface KubectlFixture {
  kubectl: Kubectl;
  /** Returns the test apiserver, which runs from the file's first test to its last. */
  server(): TestApiserver;
}

/** Registers hooks that start a test apiserver before the tests of a file and close it after them. */
export function registerKubectlFixture(test: TestFn): KubectlFixture {
  let started: TestApiserver | undefined;
  test.before(async () => {
    started = await startTestApiserver();
  });
  test.after.always(async () => {
    await started?.close();
  });

  const server = (): TestApiserver => {
    if (!started) throw new Error('the test apiserver is not running yet, so call server() or kubectl() from inside a test');
    return started;
  };
  return { server, kubectl: (args, stdin) => kubectlFor(server())(args, stdin) };
}
