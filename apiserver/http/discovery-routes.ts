// Non-resource paths: health checks, version, discovery and OpenAPI.
// Aggregated discovery (Accept: ...;as=APIGroupDiscoveryList) is not
// served; the plain documents make kubectl fall back to the legacy
// per-group-version discovery, as it does against older servers.

import type Koa from 'koa';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from '../discovery.js';
import { notFound } from '../errors.js';
import { openapiV2, openapiV3Document, openapiV3Hash, openapiV3Index } from '../openapi/index.js';
import { pathSegments } from './request-info.js';

const healthPaths = new Set(['healthz', 'livez', 'readyz']);

function sendDocument(ctx: Koa.Context, document: object | undefined): boolean {
  if (document === undefined) return false;
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(document);
  return true;
}

/** Serves a health, discovery or OpenAPI path, and returns false for any other path. */
export function handleNonResource(ctx: Koa.Context): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  const segments = pathSegments(ctx.path);
  const [first, second, third] = segments;

  if (healthPaths.has(first)) {
    ctx.status = 200;
    ctx.type = 'text/plain';
    ctx.body = 'ok';
    return true;
  }
  if (first === 'version' && segments.length === 1) return sendDocument(ctx, versionInfo());
  if (first === 'api') {
    if (segments.length === 1) return sendDocument(ctx, apiVersions());
    if (segments.length === 2) return sendDocument(ctx, apiResourceList('', second));
  }
  if (first === 'apis') {
    if (segments.length === 1) return sendDocument(ctx, apiGroupList());
    if (segments.length === 2) return sendDocument(ctx, apiGroup(second));
    if (segments.length === 3) return sendDocument(ctx, apiResourceList(second, third));
  }
  if (first === 'openapi' && second === 'v2' && segments.length === 2) return sendDocument(ctx, openapiV2());
  if (first === 'openapi' && second === 'v3') {
    if (segments.length === 2) return sendDocument(ctx, openapiV3Index());
    const path = segments.slice(2).join('/');
    const document = openapiV3Document(path);
    if (!document) throw notFound({ resource: 'openapi/v3', name: path });
    const hash = openapiV3Hash(path);
    // A request that names the current hash may be cached for good, as kube-apiserver allows.
    if (hash && ctx.URL.searchParams.get('hash') === hash) ctx.set('Cache-Control', 'public, immutable');
    if (hash) ctx.set('ETag', `"${hash}"`);
    return sendDocument(ctx, document);
  }
  return false;
}
