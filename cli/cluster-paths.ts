// Where `tinykube up` keeps each component's state under one data dir. The
// image store's place is fixed by `tinykube image` (<dataDir>/images), and
// the apiserver writes <dataDir>/admin.kubeconfig, so every subcommand that
// takes the same --data-dir finds the same cluster.

import path from 'node:path';

export interface ClusterPaths {
  dataDir: string;
  /** The apiserver's dir: its LevelDB storage and admin.kubeconfig. */
  apiserver: string;
  kubeconfig: string;
  /** The runtime's sandboxes, containers, logs and network state. */
  runtime: string;
  /** The kubelet's own state, such as its pod directories. */
  kubelet: string;
  /** The PID of the running `tinykube up`, so `tinykube down` can stop it. */
  pidFile: string;
}

export function clusterPaths(dataDir: string): ClusterPaths {
  const root = path.resolve(dataDir);
  return {
    dataDir: root,
    apiserver: root,
    kubeconfig: path.join(root, 'admin.kubeconfig'),
    runtime: path.join(root, 'runtime'),
    kubelet: path.join(root, 'kubelet'),
    pidFile: path.join(root, 'tinykube-up.pid'),
  };
}
