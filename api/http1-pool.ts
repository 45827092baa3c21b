// Keep-alive HTTP/1.1 connections to one server, for requests whose whole
// response is read at once. In a loopback measurement, Node's http client used
// about 30 µs of cpu per small request where this pool used about 9 µs, and components
// such as the scheduler and the hollow nodes send thousands of requests a
// second. Streams, such as watches, still go through node:http.

import net from 'node:net';
import { ResponseParser, type HttpResponse } from './http1-parser.js';

export interface PoolOptions {
  host: string;
  port: number;
  /** Connections open at once; further requests wait for one to be free. */
  maxSockets: number;
  /**
   * Age at which an idle connection is closed instead of reused, kept below
   * the servers' idle timeouts (65 s for tinykube's apiserver) so that a
   * request rarely meets a connection the server is closing.
   */
  idleTimeoutMs?: number;
}

/**
 * The idempotent methods of RFC 9110 (section 9.2.2), which may be sent again
 * when a reused connection fails before any response. A repeated Kubernetes
 * PUT that carries a resourceVersion gets Conflict rather than apply twice.
 */
const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

interface Exchange {
  parser: ResponseParser;
  resolve: (response: HttpResponse) => void;
  reject: (error: Error) => void;
  /** Whether any byte of the response has arrived, shared with the sender. */
  progress: { received: boolean };
  /** Time (from Date.now) after which the request fails, or 0 for none. */
  deadline: number;
  timeoutMs: number;
}

/** Builds the error of a connection closed before its response, as Node's http client words and codes it. */
function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

class Connection {
  readonly socket: net.Socket;
  /** The request waiting for its response, if any. */
  exchange: Exchange | undefined;
  /** Whether an earlier response came over this connection, so the server may have closed it while idle. */
  reused = false;
  /** Whether the pool ended this connection, by close() or a timeout, so its request fails instead of being sent again. */
  aborted = false;
  idleSince = 0;
  private error: Error | undefined;

  constructor(options: PoolOptions, private readonly onDone: (connection: Connection, reusable: boolean) => void) {
    this.socket = net.connect({ host: options.host, port: options.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (error) => {
      this.error = error;
    });
    this.socket.on('close', () => this.onClose());
  }

  /** Writes one request. Afterwards, progress.received shows whether any of the response arrived. */
  send(method: string, text: string, progress: { received: boolean }, timeoutMs = 0): Promise<HttpResponse> {
    // The server may have ended a connection between its release and this send.
    if (this.socket.destroyed) return Promise.reject(hangUp());
    return new Promise((resolve, reject) => {
      const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
      this.exchange = { parser: new ResponseParser(method), resolve, reject, progress, deadline, timeoutMs };
      this.socket.write(text);
    });
  }

  /** Fails the request in flight when its deadline has passed, closing the connection, which may be stuck. */
  expire(now: number): void {
    const exchange = this.exchange;
    if (exchange === undefined || exchange.deadline === 0 || exchange.deadline > now) return;
    this.aborted = true;
    this.fail(Object.assign(new Error(`timed out after ${exchange.timeoutMs} ms waiting for the response`), { code: 'ETIMEDOUT' }));
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === undefined) {
      // Bytes that arrive with no request outstanding mean the stream is out of step, so the connection cannot be trusted again.
      this.socket.destroy();
      return;
    }
    exchange.progress.received = true;
    let response: HttpResponse | undefined;
    try {
      response = exchange.parser.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    // A server may respond before it has read the whole request body. A connection still sending that body
    // would hold the next request behind it, and the server may never read it, so it is closed instead.
    if (response !== undefined) this.complete(response, !response.close && exchange.parser.leftover === 0 && this.socket.writableLength === 0);
  }

  private onEnd(): void {
    const response = this.exchange?.parser.end();
    if (response !== undefined) this.complete(response, false);
    else this.socket.destroy();
  }

  private onClose(): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange !== undefined) exchange.reject(this.error ?? hangUp());
    this.onDone(this, false);
  }

  private complete(response: HttpResponse, reusable: boolean): void {
    const exchange = this.exchange as Exchange;
    this.exchange = undefined;
    this.reused = true;
    if (!reusable) this.socket.destroy();
    exchange.resolve(response);
    if (reusable) this.onDone(this, true);
  }

  private fail(error: Error): void {
    this.error = error;
    this.socket.destroy();
  }
}

export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly connections = new Set<Connection>();
  private readonly waiting: ((connection: Connection) => void)[] = [];
  private readonly idleTimeoutMs: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: PoolOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  /**
   * Sends one request, whose head (request line and headers, without the
   * blank line) and body are already encoded, and resolves with the whole
   * response. A request that an idle connection fails before any response is
   * sent once more when its method is idempotent, on a new connection or on
   * one that has just completed a response, but never on another idle one.
   */
  async request(method: string, head: string, body?: string, timeoutMs = 0): Promise<HttpResponse> {
    const text = body === undefined ? `${head}\r\n\r\n` : `${head}\r\n\r\n${body}`;
    if (timeoutMs > 0) this.startSweeping();
    const connection = await this.acquire();
    // Read before the send, since a completed response marks the connection as reused.
    const reused = connection.reused;
    const progress = { received: false };
    try {
      return await connection.send(method, text, progress, timeoutMs);
    } catch (error) {
      if (!reused || progress.received || connection.aborted || !idempotentMethods.has(method)) throw error;
      return (await this.acquire(true)).send(method, text, { received: false }, timeoutMs);
    }
  }

  /**
   * Checks the deadlines of requests in flight four times a second. One
   * shared timer costs less than a timer for each of thousands of requests a
   * second, and a timeout a quarter second late does not matter.
   */
  private startSweeping(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const connection of this.connections) connection.expire(now);
    }, 250);
    // The sweep must not keep the process alive.
    this.sweeper.unref();
  }

  /** Closes every connection. Requests in flight fail, and requests still waiting for a connection or sent later open new connections. */
  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const connection of this.connections) {
      connection.aborted = true;
      connection.socket.destroy();
    }
  }

  private acquire(fresh = false): Promise<Connection> | Connection {
    const now = Date.now();
    while (!fresh && this.idle.length > 0) {
      const connection = this.idle.pop() as Connection;
      // A connection the server has just ended is destroyed at once but leaves the pool only on its close event.
      if (connection.socket.destroyed) continue;
      if (now - connection.idleSince > this.idleTimeoutMs) {
        connection.socket.destroy();
        continue;
      }
      connection.socket.ref();
      return connection;
    }
    if (this.connections.size < this.options.maxSockets) return this.connect();
    // A waiting request may already have taken the slot of the failed connection, so a retry waits as well, at
    // the front. Waiters get only new connections or ones that have just responded, never idle ones.
    return new Promise((resolve) => (fresh ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
  }

  private connect(): Connection {
    const connection = new Connection(this.options, (done, reusable) => this.done(done, reusable));
    this.connections.add(connection);
    return connection;
  }

  /** Returns a connection to the pool after a response, or drops it from the pool once closed. */
  private done(connection: Connection, reusable: boolean): void {
    if (reusable) {
      const next = this.waiting.shift();
      if (next !== undefined) {
        next(connection);
        return;
      }
      connection.idleSince = Date.now();
      // An idle connection must not keep the process alive.
      connection.socket.unref();
      this.idle.push(connection);
      return;
    }
    this.connections.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    // A closed connection frees a slot for a waiting request.
    const next = this.waiting.shift();
    if (next !== undefined) next(this.connect());
  }
}
