// GET /exec/{namespace}/{pod}/{container}?command=…: runs a command in a
// container over a WebSocket with the channel.k8s.io stream protocols that
// kubectl 1.32 speaks (client-go tools/remotecommand). Every binary message
// starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (the
// final metav1.Status), 4 resize ({"Width":80,"Height":24}). Version 5 adds
// message [255, channel], which closes one channel (kubectl sends [255, 0]
// at the end of its stdin). The server ends the session by writing the Status
// and closing the socket normally, which readers see as end of stream.

import http from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../api/log.js';
import type { Status } from '../api/types.js';
import type { RuntimeService } from '../runtime/cri.js';
import { failureStatus, HttpError, type ContainerLookup } from './logs.js';

export const streamProtocolV5 = 'v5.channel.k8s.io';
export const streamProtocolV4 = 'v4.channel.k8s.io';

const stdinChannel = 0;
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;
const resizeChannel = 4;
const closeSignal = 255;

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

export function parseExecQuery(query: URLSearchParams): ExecRequest {
  const flag = (name: string) => isTrue(query.get(name));
  const request = { command: query.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
  if (request.command.length === 0) throw new HttpError(400, 'missing command: set at least one command query parameter');
  if (!request.stdin && !request.stdout && !request.stderr) throw new HttpError(400, 'you must specify at least one of stdin, stdout, stderr');
  return request;
}

/** Returns the metav1.Status that ends a session: Success, or NonZeroExitCode with the code as a cause. */
export function exitStatus(command: string[], exitCode: number): Status {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export class ExecServer {
  private readonly sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(streamProtocolV5) ? streamProtocolV5 : protocols.has(streamProtocolV4) ? streamProtocolV4 : false),
  });

  constructor(private readonly runtime: RuntimeService, private readonly lookup: ContainerLookup, private readonly logger: Logger) {}

  /** Handles an HTTP upgrade request to /exec/…; rejects anything else. */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((entry) => entry.trim());
    if (parts[0] !== 'exec' || parts.length !== 4) return rejectUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    if (!offered.includes(streamProtocolV5) && !offered.includes(streamProtocolV4)) {
      return rejectUpgrade(socket, 400, `unsupported stream protocols ${JSON.stringify(offered)}: offer ${streamProtocolV5} or ${streamProtocolV4}`);
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      void this.runSession(ws, url, parts.slice(1).map(decodeURIComponent));
    });
  }

  close(): void {
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
  }

  private async runSession(ws: WebSocket, url: URL, [namespace, podName, containerName]: string[]): Promise<void> {
    const logger = this.logger.with({ pod: `${namespace}/${podName}`, container: containerName });
    const send = (channel: number, data: Buffer | string) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(data)]));
    };
    const finish = (status: Status) => {
      send(errorChannel, JSON.stringify(status));
      ws.close(1000);
    };

    // Listen before any await: ws drops messages that arrive while no listener is attached.
    const stdin = isTrue(url.searchParams.get('stdin')) ? new PassThrough() : undefined;
    let resizeListener: ((size: { columns: number; rows: number }) => void) | undefined;
    let pendingSize: { columns: number; rows: number } | undefined;
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case stdinChannel:
          stdin?.write(payload);
          break;
        case resizeChannel: {
          const size = parseResize(payload);
          if (size === undefined) break;
          if (resizeListener) resizeListener(size);
          else pendingSize = size;
          break;
        }
        case closeSignal:
          if (ws.protocol === streamProtocolV5 && payload[0] === stdinChannel) stdin?.end();
          break;
      }
    });
    // A client that disconnects cancels the session: the runtime kills the command and its process group.
    const cancel = new AbortController();
    ws.on('close', () => {
      stdin?.end();
      cancel.abort(new Error('the exec client disconnected'));
    });

    let request: ExecRequest;
    let containerId: string;
    try {
      request = parseExecQuery(url.searchParams);
      const container = await this.lookup(namespace, podName, containerName, false);
      if (container.state !== 'CONTAINER_RUNNING') throw new HttpError(400, `container ${containerName} is not running`);
      containerId = container.id;
    } catch (error) {
      return finish(failureStatus(error));
    }

    const output = (channel: number) => new Writable({
      write(chunk: Buffer, _encoding, callback) {
        send(channel, chunk);
        callback();
      },
    });

    logger.debug('Exec session started', { command: request.command, tty: request.tty });
    try {
      const exitCode = await this.runtime.exec(containerId, {
        command: request.command,
        tty: request.tty,
        stdin,
        stdout: request.stdout ? output(stdoutChannel) : undefined,
        // A TTY merges stderr into stdout, so the stderr channel stays unused.
        stderr: request.stderr && !request.tty ? output(stderrChannel) : undefined,
        onResize: (listener) => {
          resizeListener = listener;
          if (pendingSize) listener(pendingSize);
        },
        signal: cancel.signal,
      });
      // Let output already queued by the runtime's pipes reach the socket before the final status.
      await new Promise((resolve) => setImmediate(resolve));
      finish(exitStatus(request.command, exitCode));
      logger.debug('Exec session ended', { exitCode });
    } catch (error) {
      if (cancel.signal.aborted) {
        logger.debug('Exec session cancelled: the client disconnected', { command: request.command });
        return;
      }
      logger.warn('Exec failed', { command: request.command, err: error });
      finish(failureStatus(error));
    }
  }
}

function parseResize(payload: Buffer): { columns: number; rows: number } | undefined {
  try {
    const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
    if (typeof size.Width !== 'number' || typeof size.Height !== 'number') return undefined;
    return { columns: size.Width, rows: size.Height };
  } catch {
    return undefined;
  }
}

/** Answers an upgrade that cannot become an exec session with its metav1.Status as JSON, before any WebSocket exists. */
function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  const body = JSON.stringify(failureStatus(new HttpError(code, message)));
  socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? ''}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
