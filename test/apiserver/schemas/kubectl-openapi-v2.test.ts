// kubectl reads /openapi/v2 only as protobuf. This test puts a small proxy in
// front of the test apiserver that serves openapiV2Protobuf() there and
// forwards everything else, so the encoding is checked by the real kubectl
// whatever the apiserver's routes serve.

import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openapiV2Protobuf, openapiV2ProtobufContentType } from '../../../apiserver/openapi/index.js';
import { startTestApiserver, type TestApiserver } from '../../helpers/apiserver.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

let server: TestApiserver;
let proxy: http.Server;
let kubectl: Kubectl;

function startProxy(target: URL): Promise<http.Server> {
  const forward = http.createServer((request, response) => {
    if (request.url?.startsWith('/openapi/v2')) {
      response.writeHead(200, { 'Content-Type': openapiV2ProtobufContentType });
      response.end(openapiV2Protobuf());
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers }, (reply) => {
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  return new Promise((resolve) => forward.listen(0, '127.0.0.1', () => resolve(forward)));
}

test.before(async () => {
  server = await startTestApiserver();
  proxy = await startProxy(new URL(server.url));
  const address = proxy.address() as AddressInfo;
  const kubeconfig = (await readFile(server.kubeconfigPath, 'utf8')).replace(server.url.replace(/\/$/, ''), `http://127.0.0.1:${address.port}`);
  const proxyKubeconfig = join(server.dataDir, 'proxy.kubeconfig');
  await writeFile(proxyKubeconfig, kubeconfig);
  kubectl = kubectlFor({ ...server, kubeconfigPath: proxyKubeconfig });
});

test.after.always(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.close();
});

test.serial('explain reads the protobuf Swagger 2.0 document', async (t) => {
  const result = await kubectl(['explain', 'deployment.spec', '--output=plaintext-openapiv2']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /KIND:\s+Deployment/);
  t.regex(result.stdout, /selector\t<Object> -required-/);
  t.regex(result.stdout, /replicas\t<integer>/);
});

test.serial('explain v2 follows references into nested types', async (t) => {
  const result = await kubectl(['explain', 'pod.spec.containers.ports', '--output=plaintext-openapiv2']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /containerPort\t<integer> -required-/);
});
