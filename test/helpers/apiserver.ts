// Starts a real apiserver for a test: its own temporary data dir, a free
// port on 127.0.0.1, and a client. close() stops it and removes the dir.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../api/client.js';
import { startApiserver, type ApiserverOptions } from '../../apiserver/server.js';

export interface TestApiserver {
  url: string;
  client: ApiClient;
  kubeconfigPath: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestApiserver(options: Omit<ApiserverOptions, 'dataDir' | 'port'> = {}): Promise<TestApiserver> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tinykube-apiserver-'));
  try {
    const server = await startApiserver({ ...options, dataDir, port: 0 });
    const client = new ApiClient({ server: server.url, userAgent: 'tinykube-test' });
    return {
      url: server.url,
      client,
      kubeconfigPath: server.kubeconfigPath,
      dataDir,
      close: async () => {
        client.close();
        await server.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
