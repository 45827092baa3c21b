// The tinykube command line: one binary whose first argument picks the
// component, as `kubeadm`-style single binaries do.

import { UsageError } from '../api/flags.js';
import { createLogger } from '../api/log.js';

interface Subcommand {
  summary: string;
  load(): Promise<{ run(argv: string[]): Promise<number | void> }>;
}

const subcommands: Record<string, Subcommand> = {
  up: { summary: 'Start a single-node cluster on this host (apiserver, controllers, scheduler, kubelet)', load: () => import('./up.js') },
  down: { summary: 'Remove everything a cluster made on this host', load: () => import('./down.js') },
  apiserver: { summary: 'Serve the Kubernetes API', load: () => import('../apiserver/cmd.js') },
  'controller-manager': { summary: 'Run the ReplicaSet, Deployment, garbage collector, namespace and node lifecycle controllers', load: () => import('../controllers/cmd.js') },
  scheduler: { summary: 'Place pods on nodes', load: () => import('../scheduler/cmd.js') },
  kubelet: { summary: 'Run the pods bound to this node', load: () => import('../kubelet/cmd.js') },
  'hollow-nodes': { summary: 'Simulate many nodes in one process, for tests at scale', load: () => import('../kubelet/hollow/cmd.js') },
  image: { summary: 'Build, list, inspect, import and remove images', load: () => import('../runtime/image/cmd.js') },
  inspect: { summary: 'Show the namespaces, cgroups, overlay and network of a running pod', load: () => import('./inspect.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(subcommands).map((name) => name.length));
  const lines = Object.entries(subcommands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return ['Usage: tinykube COMMAND [FLAGS]', '', 'Commands:', ...lines, '', 'Run `tinykube COMMAND --help` for the flags of a command.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = subcommands[name];
  if (!command) {
    console.error(`tinykube: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const module = await command.load();
  return (await module.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    // A bad flag is the user's to fix: print the message and the usage as text, not as a log line.
    if (error instanceof UsageError) {
      console.error(`tinykube: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    createLogger('tinykube').error('Command failed', { err: error });
    process.exitCode = 1;
  },
);
