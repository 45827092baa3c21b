// pods/log and pods/exec: the apiserver finds the pod's node and forwards
// the request to that node's kubelet, at the node's InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port, as kube-apiserver does.
// Logs are streamed through, for `kubectl logs -f`. Exec forwards the
// WebSocket upgrade raw, so the subprotocol negotiation (kubectl 1.32 offers
// v5.channel.k8s.io) happens between kubectl and the kubelet.

import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import { createLogger } from '../../api/log.js';
import { nodes, pods, type ResourceType } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types.js';
import { badRequest, notFound, serviceUnavailable, StatusError } from '../errors.js';
import type { Registry } from '../registry/store.js';
import { pathSegments } from './request-info.js';

const logger = createLogger('apiserver');

interface KubeletTarget {
  host: string;
  port: number;
  container: string;
}

/** Picks the container: the query's, else the default-container annotation, else the only one. */
function resolveContainer(pod: Pod, requested: string | null): string {
  const names = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].map((container) => container.name);
  if (requested) {
    if (!names.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name ?? ''}`);
    return requested;
  }
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  const containers = (pod.spec.containers ?? []).map((container) => container.name);
  if (containers.length === 1) return containers[0];
  throw badRequest(`a container name must be specified for pod ${pod.metadata.name ?? ''}, choose one of: [${containers.join(' ')}]`);
}

async function kubeletTarget(registry: Registry, namespace: string | undefined, name: string, container: string | null): Promise<KubeletTarget> {
  const pod = JSON.parse((await registry.get(pods, namespace, name)).json) as Pod;
  const chosen = resolveContainer(pod, container);
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const node = JSON.parse((await registry.get(nodes, undefined, nodeName)).json) as Node;
  const address = node.status?.addresses?.find((entry) => entry.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!address || !port) throw serviceUnavailable(`node ${nodeName} does not report an InternalIP address and kubelet port`);
  return { host: address, port, container: chosen };
}

function queryWithout(search: URLSearchParams, name: string): string {
  const copy = new URLSearchParams(search);
  copy.delete(name);
  const text = copy.toString();
  return text ? `?${text}` : '';
}

/** Streams GET /containerLogs/NS/POD/CONTAINER from the pod's kubelet. */
export async function proxyLogs(ctx: Koa.Context, registry: Registry, _type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
  const query = ctx.URL.searchParams;
  const target = await kubeletTarget(registry, namespace, name, query.get('container'));
  const path = `/containerLogs/${encodeURIComponent(namespace ?? '')}/${encodeURIComponent(name)}/${encodeURIComponent(target.container)}${queryWithout(query, 'container')}`;
  const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.get({ host: target.host, port: target.port, path }, resolve);
    request.on('error', (error) => reject(serviceUnavailable(`error dialing the kubelet at ${target.host}:${target.port}: ${error.message}`)));
    // The kubelet stream ends when the response to kubectl closes, finished or cut off.
    ctx.res.on('close', () => request.destroy());
  });
  ctx.status = upstream.statusCode ?? 502;
  ctx.type = upstream.headers['content-type'] ?? 'text/plain';
  ctx.body = upstream;
}

function writeStatus(socket: Duplex, error: StatusError): void {
  const body = JSON.stringify(error.status);
  socket.end(`HTTP/1.1 ${error.code} ${http.STATUS_CODES[error.code] ?? ''}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Matches /api/v1/namespaces/NS/pods/NAME/exec (and attach, served the same way). */
function execTarget(path: string): { namespace: string; name: string; subresource: string } | undefined {
  const segments = pathSegments(path);
  if (segments.length !== 7 || segments[0] !== 'api' || segments[1] !== 'v1' || segments[2] !== 'namespaces' || segments[4] !== 'pods') return undefined;
  if (segments[6] !== 'exec' && segments[6] !== 'attach') return undefined;
  return { namespace: segments[3], name: segments[5], subresource: segments[6] };
}

/** Handles an HTTP upgrade: pods/exec goes to the kubelet, anything else is refused. */
export async function proxyUpgrade(registry: Registry, request: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', (error) => logger.debug('Upgrade socket failed', { err: error }));
  const url = new URL(request.url ?? '/', 'http://apiserver');
  let found;
  try {
    found = execTarget(url.pathname);
    if (!found) throw notFound({ resource: url.pathname, name: '' });
    const { namespace, name, subresource } = found;
    const target = await kubeletTarget(registry, namespace, name, url.searchParams.get('container'));
    const path = `/${subresource}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(target.container)}${url.search}`;
    const upstream = net.connect({ host: target.host, port: target.port });
    let connected = false;
    upstream.on('error', (error) => {
      logger.warn('Forwarding exec to the kubelet failed', { namespace, pod: name, kubelet: `${target.host}:${target.port}`, err: error });
      if (socket.destroyed) return;
      // Until the kubelet responds, the client can still get a Status. After that, the connection is cut.
      if (connected) socket.destroy();
      else writeStatus(socket, serviceUnavailable(`error dialing the kubelet at ${target.host}:${target.port}: ${error.message}`));
    });
    upstream.on('connect', () => {
      connected = true;
      const headers: string[] = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const header = request.rawHeaders[i];
        if (header.toLowerCase() === 'host') continue;
        headers.push(`${header}: ${request.rawHeaders[i + 1]}`);
      }
      upstream.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n${headers.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      // From here on the kubelet's 101 response and the WebSocket frames flow through unchanged.
      // Each pipe ends its destination after flushing, so the kubelet's last frames reach the client before it closes.
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.on('close', () => upstream.destroy());
    });
  } catch (error) {
    const status = error instanceof StatusError ? error : serviceUnavailable((error as Error).message);
    if (!(error instanceof StatusError)) logger.error('Upgrade request failed', { path: url.pathname, err: error });
    writeStatus(socket, status);
  }
}
