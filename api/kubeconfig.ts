// Reads and writes the parts of a kubeconfig that tinykube uses: the current
// context's cluster server. Until the cluster has authentication there are
// no credentials to carry.

import { readFileSync, writeFileSync } from 'node:fs';
import * as yaml from 'js-yaml';

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user?: string; namespace?: string } }[];
  clusters?: { name: string; cluster: { server: string } }[];
}

export interface ClusterConnection {
  server: string;
  namespace?: string;
}

export function readKubeconfig(path: string): ClusterConnection {
  let config: KubeconfigFile;
  try {
    config = yaml.load(readFileSync(path, 'utf8')) as KubeconfigFile;
  } catch (error) {
    throw new Error(`read kubeconfig ${path}: ${(error as Error).message}`, { cause: error });
  }
  const contextName = config?.['current-context'];
  const context = config?.contexts?.find((entry) => entry.name === contextName)?.context;
  const cluster = config?.clusters?.find((entry) => entry.name === (context?.cluster ?? config?.clusters?.[0]?.name));
  if (!cluster?.cluster?.server) throw new Error(`kubeconfig ${path} has no cluster server for context "${contextName ?? ''}"`);
  return { server: cluster.cluster.server, namespace: context?.namespace };
}

/** Writes a kubeconfig whose single context points kubectl at server. */
export function writeKubeconfig(path: string, server: string, name = 'tinykube'): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [{ name, cluster: { server } }],
    contexts: [{ name, context: { cluster: name, user: 'admin' } }],
    users: [{ name: 'admin', user: {} }],
    preferences: {},
  };
  writeFileSync(path, yaml.dump(config), { mode: 0o600 });
}
