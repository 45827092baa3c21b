// Runs the real kubectl against a test apiserver, with a discovery cache of
// its own so that no test reads another server's cached OpenAPI documents.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestApiserver } from '../../helpers/apiserver.js';

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
