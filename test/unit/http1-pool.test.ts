// The keep-alive connection pool against loopback servers that each test opens.

import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { Http1Pool, type PoolOptions } from '../../api/http1-pool.js';

interface TestServer {
  port: number;
  /** Connections the server has accepted so far. */
  connections: () => number;
  /** Maximum number of connections the server has had open at once. */
  maxOpen: () => number;
  /** Connections open now. */
  open: () => number;
  close: () => Promise<void>;
}

async function listen(server: net.Server): Promise<TestServer> {
  let connections = 0;
  let maxOpen = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    maxOpen = Math.max(maxOpen, sockets.size);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    maxOpen: () => maxOpen,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts an HTTP server that responds to each request with its method, path and body, after delayMs. */
async function echoServer(delayMs = 0): Promise<TestServer> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => setTimeout(() => {
      response.setHeader('content-type', 'text/plain');
      response.end(`${request.method} ${request.url} ${Buffer.concat(chunks).toString()}`);
    }, delayMs));
  });
  return listen(server);
}

/** Starts a pool of connections to port on loopback, closed when the test ends. */
function startPool(t: ExecutionContext, port: number, options: Omit<PoolOptions, 'host' | 'port'>): Http1Pool {
  const pool = new Http1Pool({ host: '127.0.0.1', port, ...options });
  t.teardown(() => pool.close());
  return pool;
}

function head(method: string, path: string, port: number, bodyLength?: number): string {
  const length = bodyLength === undefined ? '' : `\r\nContent-Length: ${bodyLength}`;
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}${length}`;
}

test('requests reuse one keep-alive connection', async (t) => {
  const server = await echoServer();
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 4 });
  for (let i = 0; i < 5; i++) {
    const response = await pool.request('POST', head('POST', `/item/${i}`, server.port, 2), 'hi');
    t.is(response.statusCode, 200);
    t.is(response.body.toString(), `POST /item/${i} hi`);
  }
  t.is(server.connections(), 1);
});

test('concurrent requests wait for maxSockets connections', async (t) => {
  const server = await echoServer(20);
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 2 });
  const bodies = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
    (await pool.request('GET', head('GET', `/${i}`, server.port))).body.toString()));
  t.deepEqual(bodies, Array.from({ length: 10 }, (_, i) => `GET /${i} `));
  t.is(server.connections(), 2);
});

test('a connection the server closed while idle is replaced', async (t) => {
  // Ends each connection 20 ms after its response, as a server's keep-alive timeout would.
  const server = await listen(net.createServer((socket) => socket.on('data', () => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    setTimeout(() => socket.end(), 20);
  })));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  await pool.request('GET', head('GET', '/first', server.port));
  // The server's side closes only once the pool has seen the end and closed its side too.
  while (server.open() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const response = await pool.request('POST', head('POST', '/second', server.port, 1), 'x');
  t.is(response.body.toString(), 'ok');
  t.is(server.connections(), 2);
});

test('connections idle past idleTimeoutMs are not reused', async (t) => {
  const server = await echoServer();
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1, idleTimeoutMs: 20 });
  await pool.request('GET', head('GET', '/a', server.port));
  await new Promise((resolve) => setTimeout(resolve, 60));
  await pool.request('GET', head('GET', '/b', server.port));
  t.is(server.connections(), 2);
});

/** Starts a server that responds to the first request of each connection and drops the connection at the second. */
async function droppingServer(): Promise<TestServer> {
  const server = net.createServer((socket) => {
    let requests = 0;
    socket.on('data', () => {
      requests++;
      if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst');
      else socket.destroy();
    });
  });
  return listen(server);
}

test('idempotent request is retried once after a stale connection', async (t) => {
  const server = await droppingServer();
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  await pool.request('GET', head('GET', '/', server.port));
  const response = await pool.request('GET', head('GET', '/', server.port));
  t.is(response.body.toString(), 'first');
  t.is(server.connections(), 2);
});

test('POST on a stale connection fails rather than repeat', async (t) => {
  const server = await droppingServer();
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  await pool.request('GET', head('GET', '/', server.port));
  const error = await t.throwsAsync(pool.request('POST', head('POST', '/', server.port, 1), 'x'));
  t.regex(error?.message ?? '', /socket hang up|ECONNRESET/);
  t.is(server.connections(), 1);
  // The pool recovers: the next request opens a new connection.
  t.is((await pool.request('GET', head('GET', '/', server.port))).body.toString(), 'first');
});

test('refused connection rejects with the errno', async (t) => {
  const server = await echoServer();
  const port = server.port;
  await server.close();
  const pool = startPool(t, port, { maxSockets: 1 });
  const error = await t.throwsAsync(pool.request('GET', head('GET', '/', port)));
  t.is((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test('malformed response fails the request and the connection', async (t) => {
  const server = await listen(net.createServer((socket) => socket.once('data', () => socket.write('garbage\r\n\r\n'))));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  const error = await t.throwsAsync(pool.request('GET', head('GET', '/', server.port)));
  t.regex(error?.message ?? '', /malformed status line/);
});

test('idle connections do not keep the process alive', async (t) => {
  const server = await echoServer();
  t.teardown(() => server.close());
  const script = `import { Http1Pool } from './api/http1-pool.ts';
    const pool = new Http1Pool({ host: '127.0.0.1', port: ${server.port}, maxSockets: 1 });
    const response = await pool.request('GET', 'GET / HTTP/1.1\\r\\nHost: x');
    console.log(response.statusCode);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  t.is(code, 0);
  t.is(output.trim(), '200');
});


test('retries stay within maxSockets', async (t) => {
  // Drops the connections opened before the restart at their next request, as a restarted server would.
  let restarted = false;
  const server = await listen(net.createServer((socket) => {
    const openedBeforeRestart = !restarted;
    socket.on('data', () => {
      if (restarted && openedBeforeRestart) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  }));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 2 });
  await Promise.all([0, 1].map(() => pool.request('GET', head('GET', '/', server.port))));
  t.is(server.connections(), 2);

  restarted = true;
  const bodies = await Promise.all(Array.from({ length: 10 }, async () =>
    (await pool.request('GET', head('GET', '/', server.port))).body.toString()));
  t.deepEqual(bodies, Array.from({ length: 10 }, () => 'ok'));
  t.is(server.maxOpen(), 2);
});

test('close fails requests in flight', async (t) => {
  // Responds to the first request of each connection at once and to later ones after 200 ms.
  const server = await listen(net.createServer((socket) => {
    let requests = 0;
    socket.on('data', () => {
      requests++;
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), requests === 1 ? 0 : 200);
    });
  }));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  await pool.request('GET', head('GET', '/', server.port));
  const pending = pool.request('GET', head('GET', '/', server.port));
  await new Promise((resolve) => setTimeout(resolve, 20));
  pool.close();
  const error = await t.throwsAsync(pending);
  t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  t.is(server.connections(), 1);
});

test('early response while body is sent', async (t) => {
  // The request after the early response hangs if it queues behind the unread body.
  t.timeout(10_000);
  // Responds to a POST at its first bytes and then stops reading, as a server rejecting a large upload may.
  const server = await listen(net.createServer((socket) => socket.once('data', (chunk: Buffer) => {
    if (chunk.toString('latin1').startsWith('POST')) {
      socket.write('HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n');
      socket.pause();
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    }
  })));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  // Larger than the loopback socket buffers, so much of the body is still queued when the response arrives.
  const body = 'x'.repeat(32 * 1024 * 1024);
  const rejected = await pool.request('POST', head('POST', '/', server.port, body.length), body);
  t.is(rejected.statusCode, 413);
  const response = await pool.request('GET', head('GET', '/', server.port));
  t.is(response.body.toString(), 'ok');
  t.is(server.connections(), 2);
});

test('request without a response times out', async (t) => {
  // Reads requests and never responds, as a stalled server or a half-open connection would.
  const server = await listen(net.createServer((socket) => socket.resume()));
  t.teardown(() => server.close());
  const pool = startPool(t, server.port, { maxSockets: 1 });
  const started = Date.now();
  const error = await t.throwsAsync(pool.request('GET', head('GET', '/', server.port), undefined, 300));
  t.is((error as NodeJS.ErrnoException).code, 'ETIMEDOUT');
  t.regex(error?.message ?? '', /timed out after 300 ms/);
  t.true(Date.now() - started < 2_000);
  // A request that timed out is not sent again, even an idempotent one.
  t.is(server.connections(), 1);
});
