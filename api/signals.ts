// Waiting for the signal that stops a long-running subcommand.

/**
 * Resolves with the first SIGINT or SIGTERM the process receives. Both
 * listeners are removed at once, so a second signal during shutdown gets
 * Node's default handling and ends the process.
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
