// Bad requests get a Status with the code and reason kube-apiserver uses,
// change nothing, and never take the server down.

import test from 'ava';
import http from 'node:http';
import { pods } from '../../api/resources.js';
import type { Pod, Status } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

let server: TestApiserver;
test.before(async () => {
  server = await startTestApiserver();
});
test.after.always(async () => {
  await server?.close();
});

interface RawResponse {
  code: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const request = http.request({
      host: url.hostname, port: url.port, path, method,
      headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function status(response: RawResponse): Status {
  return JSON.parse(response.text) as Status;
}

const podJson = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox', ...extra }] },
});

test('malformed JSON is 400 with a Status', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods', '{"metadata": {');
  t.is(response.code, 400);
  t.is(status(response).kind, 'Status');
  t.is(status(response).reason, 'BadRequest');
});

test('malformed YAML is 400 with a Status', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods', 'metadata: [unclosed', 'application/yaml');
  t.is(response.code, 400);
  t.is(status(response).reason, 'BadRequest');
});

test('YAML bodies are accepted', async (t) => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: main\n    image: busybox\n';
  const response = await send('POST', '/api/v1/namespaces/default/pods', yaml, 'application/yaml');
  t.is(response.code, 201);
  const pod = await server.client.get<Pod>(pods, 'default', 'from-yaml');
  t.is(pod.spec.containers[0].image, 'busybox');
});

test('bodies over 3 MiB are 413', async (t) => {
  const huge = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge', annotations: { big: 'x'.repeat(3 * 1024 * 1024 + 10) } } });
  const response = await send('POST', '/api/v1/namespaces/default/pods', huge);
  t.is(response.code, 413);
  t.is(status(response).reason, 'RequestEntityTooLarge');
});

test('names that could escape a path are 422', async (t) => {
  for (const name of ['a/b', '..', '.', 'a%2Fb', 'nul\u0000']) {
    const response = await send('POST', '/api/v1/namespaces/default/pods', podJson(name));
    t.is(response.code, 422, `create ${JSON.stringify(name)}`);
    t.is(status(response).reason, 'Invalid');
  }
  for (const path of ['/api/v1/namespaces/default/pods/..', '/api/v1/namespaces/default/pods/a%2Fb', '/api/v1/namespaces/default/pods/x%00']) {
    const response = await send('GET', path);
    t.is(response.code, 422, `get ${path}`);
  }
  const list = await server.client.list<Pod>(pods, { namespace: 'default' });
  t.false(list.items.some((pod) => (pod.metadata.name ?? '').includes('/')));
});

test('unknown paths are 404 with a Status', async (t) => {
  for (const path of ['/nothing', '/api/v1/widgets', '/apis/apps/v1/namespaces/default/deployments/x/unknown', '/apis/nope/v1']) {
    const response = await send('GET', path);
    t.is(response.code, 404, path);
    t.is(status(response).kind, 'Status', path);
  }
});

test('unsupported content type is 415', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods', podJson('protobuf'), 'application/vnd.kubernetes.protobuf');
  t.is(response.code, 415);
  t.is(status(response).reason, 'UnsupportedMediaType');
});

test('non-object bodies are 400', async (t) => {
  for (const body of ['[]', '42', '"pod"', 'null']) {
    const response = await send('POST', '/api/v1/namespaces/default/pods', body);
    t.is(response.code, 400, body);
  }
});

test('mismatched kind and namespace are 400', async (t) => {
  const wrongKind = await send('POST', '/api/v1/namespaces/default/pods', JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'k' } }));
  t.is(wrongKind.code, 400);
  const wrongNamespace = await send('POST', '/api/v1/namespaces/default/pods',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'n', namespace: 'kube-system' }, spec: { containers: [{ name: 'c', image: 'i' }] } }));
  t.is(wrongNamespace.code, 400);
});

test('fieldValidation Strict rejects unknown fields', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'strict' }, spec: { foo: 1, containers: [{ name: 'c', image: 'i' }] } }));
  t.is(response.code, 400);
  t.is(status(response).message, 'strict decoding error: unknown field "spec.foo"');
});

test('fieldValidation Warn answers with a Warning header', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods?fieldValidation=Warn',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'warned' }, spec: { foo: 1, containers: [{ name: 'c', image: 'i' }] } }));
  t.is(response.code, 201);
  t.is(response.headers.warning, '299 - "unknown field \\"spec.foo\\""');
  const pod = await server.client.get<Pod>(pods, 'default', 'warned');
  t.false('foo' in pod.spec);
});

test('fieldValidation Ignore drops unknown fields silently', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods?fieldValidation=Ignore',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ignored' }, spec: { foo: 1, containers: [{ name: 'c', image: 'i' }] } }));
  t.is(response.code, 201);
  t.is(response.headers.warning, undefined);
});

test('invalid objects are 422 with causes', async (t) => {
  const response = await send('POST', '/api/v1/namespaces/default/pods',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c' }] } }));
  t.is(response.code, 422);
  const body = status(response);
  t.is(body.reason, 'Invalid');
  t.true(body.details?.causes?.some((cause) => cause.field === 'spec.containers[0].image'));
});

test('bad selectors and parameters are 400', async (t) => {
  for (const path of [
    '/api/v1/pods?labelSelector=a%20in%20(b',
    '/api/v1/pods?fieldSelector=spec.unknown%3Dx',
    '/api/v1/pods?limit=-1',
    '/api/v1/pods?watch=true&timeoutSeconds=abc',
    '/api/v1/pods?continue=garbage',
    '/api/v1/pods?resourceVersion=abc',
    '/api/v1/pods?resourceVersionMatch=Exact',
  ]) {
    const response = await send('GET', path);
    t.is(response.code, 400, path);
  }
});

test('the server keeps serving after bad requests', async (t) => {
  const response = await send('GET', '/healthz');
  t.is(response.code, 200);
  t.is(response.text, 'ok');
  for (const path of ['/livez', '/readyz']) t.is((await send('GET', path)).code, 200);
});
