// Discovery, OpenAPI and Table output: the documents kubectl reads before
// it does anything else, and the tables `kubectl get` prints.

import test from 'ava';
import http from 'node:http';
import { pods } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

let server: TestApiserver;
test.before(async () => {
  server = await startTestApiserver();
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tabled', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
  await server.client.create(pods, pod);
});
test.after.always(async () => {
  await server?.close();
});

const tableV1 = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const tableV1beta1 = 'application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const aggregated = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface Reply {
  code: number;
  type: string;
  body: Record<string, unknown>;
}

function get(path: string, accept = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, { headers: { accept } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body: JSON.parse(text) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

test('version and API documents are served', async (t) => {
  t.is((await get('/version')).body.major, '1');
  t.deepEqual((await get('/api')).body.versions, ['v1']);
  const groups = (await get('/apis')).body.groups as { name: string }[];
  t.true(groups.some((group) => group.name === 'apps'));
  const core = (await get('/api/v1')).body.resources as { name: string }[];
  t.true(core.some((resource) => resource.name === 'pods/binding'));
  const apps = (await get('/apis/apps/v1')).body.resources as { name: string }[];
  t.true(apps.some((resource) => resource.name === 'deployments/scale'));
  t.is((await get('/apis/apps')).body.kind, 'APIGroup');
  t.is((await get('/apis/unknown.example/v1')).code, 404);
});

function getBytes(path: string, accept: string): Promise<{ code: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, { headers: { accept } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('aggregated discovery of /apis', async (t) => {
  const reply = await get('/apis', aggregated);
  t.is(reply.code, 200);
  t.is(reply.type, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  t.is(reply.body.kind, 'APIGroupDiscoveryList');
  t.is(reply.body.apiVersion, 'apidiscovery.k8s.io/v2');
  const groups = (reply.body.items as { metadata: { name?: string } }[]).map((item) => item.metadata.name);
  t.true(groups.includes('apps'));
  t.true(groups.includes('coordination.k8s.io'));
});

test('aggregated discovery of /api in v2beta1', async (t) => {
  const reply = await get('/api', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json');
  t.is(reply.type, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
  t.is(reply.body.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  const items = reply.body.items as { versions: { version: string; resources: { resource: string }[] }[] }[];
  t.is(items.length, 1);
  t.true(items[0].versions[0].resources.some((resource) => resource.resource === 'pods'));
});

test('plain JSON first in Accept gets the plain discovery documents', async (t) => {
  const reply = await get('/apis', 'application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  t.regex(reply.type, /^application\/json/);
  t.notRegex(reply.type, /apidiscovery/);
  t.is(reply.body.kind, 'APIGroupList');
  t.is((await get('/api')).body.kind, 'APIVersions');
});

test('OpenAPI v2 as protobuf', async (t) => {
  const reply = await getBytes('/openapi/v2', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
  t.is(reply.code, 200);
  t.is(reply.type, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  // Field 1 of openapi.v2.Document is the swagger version string.
  t.is(reply.body[0], 0x0a);
  t.is(reply.body.subarray(2, 2 + reply.body[1]).toString(), '2.0');
});

test('OpenAPI v2 and v3 are served', async (t) => {
  const v2 = await get('/openapi/v2');
  t.is(v2.body.swagger, '2.0');
  const index = (await get('/openapi/v3')).body.paths as Record<string, { serverRelativeURL: string }>;
  t.truthy(index['api/v1']);
  const document = await get(index['api/v1'].serverRelativeURL);
  t.is(document.code, 200);
  t.regex(String(document.body.openapi), /^3\./);
  t.is((await get('/openapi/v3/apis/nothing/v9')).code, 404);
});

test('list as a Table', async (t) => {
  const reply = await get('/api/v1/namespaces/default/pods', tableV1);
  t.is(reply.body.kind, 'Table');
  t.is(reply.body.apiVersion, 'meta.k8s.io/v1');
  const columns = (reply.body.columnDefinitions as { name: string }[]).map((column) => column.name);
  t.is(columns[0], 'Name');
  const rows = reply.body.rows as { cells: unknown[] }[];
  t.is(rows[0].cells[0], 'tabled');
  t.regex(String((reply.body.metadata as { resourceVersion?: string }).resourceVersion), /^\d+$/);
});

test('get as a v1beta1 Table with the object', async (t) => {
  const reply = await get('/api/v1/namespaces/default/pods/tabled?includeObject=Object', tableV1beta1);
  t.is(reply.body.apiVersion, 'meta.k8s.io/v1beta1');
  const rows = reply.body.rows as { object: Pod }[];
  t.is(rows.length, 1);
  t.is(rows[0].object.kind, 'Pod');
  t.is(rows[0].object.spec.containers[0].image, 'busybox');
});

test('watch as Table events', async (t) => {
  const lines = await new Promise<string[]>((resolve, reject) => {
    http.get(`${server.url}/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=2`, { headers: { accept: tableV1 } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text.trim().split('\n')));
    }).on('error', reject);
    setTimeout(() => {
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tabled-later', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
      server.client.create(pods, pod).catch(reject);
    }, 300);
  });
  const events = lines.map((line) => JSON.parse(line) as { type: string; object: { kind: string; columnDefinitions: unknown[]; rows: { cells: unknown[] }[] } });
  t.true(events.length >= 2);
  t.is(events[0].object.kind, 'Table');
  t.true(events[0].object.columnDefinitions.length > 0);
  t.is(events[1].object.columnDefinitions.length, 0);
  t.is(events[1].object.rows.length, 1);
  t.true(events.some((event) => event.type === 'ADDED' && event.object.rows[0].cells[0] === 'tabled-later'));
});
