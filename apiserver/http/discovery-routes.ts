// Non-resource paths: health checks, version, discovery and OpenAPI.
// /api and /apis serve aggregated discovery (apidiscovery.k8s.io v2 or
// v2beta1) to clients that list it first in Accept, as kubectl 1.32 does,
// and /openapi/v2 serves the gnostic protobuf form to clients that ask for it.

import type Koa from 'koa';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from '../discovery.js';
import { notFound } from '../errors.js';
import { openapiV2, openapiV2Protobuf, openapiV2ProtobufContentType, openapiV3Document, openapiV3Hash, openapiV3Index } from '../openapi/index.js';
import { parseAccept } from './negotiation.js';
import { pathSegments } from './request-info.js';

const healthPaths = new Set(['healthz', 'livez', 'readyz']);

function sendDocument(ctx: Koa.Context, document: object | undefined): boolean {
  if (document === undefined) return false;
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(document);
  return true;
}

type DiscoveryVersion = 'v2' | 'v2beta1';

/** Returns the aggregated discovery version the client prefers, or undefined when it takes the plain documents first. */
function requestedDiscoveryVersion(accept: string | undefined): DiscoveryVersion | undefined {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.parameters;
    if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) return v;
    if (!as && ['application/json', 'application/*', '*/*'].includes(range.type)) return undefined;
  }
  return undefined;
}

/** Sends /api or /apis, aggregated when the client asked for it; the two versions share one shape. */
function sendGroupDiscovery(ctx: Koa.Context, core: boolean): boolean {
  const version = requestedDiscoveryVersion(ctx.get('accept'));
  if (!version) return sendDocument(ctx, core ? apiVersions() : apiGroupList());
  const document = { ...aggregatedDiscovery(core), apiVersion: `apidiscovery.k8s.io/${version}` };
  ctx.status = 200;
  // Set directly, because koa's type setter would append a charset parameter.
  ctx.set('Content-Type', `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
  ctx.body = JSON.stringify(document);
  // Caches and proxies must not hand one form to a client that asked for the other.
  ctx.set('Vary', 'Accept');
  return true;
}

/** True when the client lists the gnostic protobuf form of /openapi/v2 before JSON. */
function wantsOpenapiV2Protobuf(accept: string | undefined): boolean {
  for (const range of parseAccept(accept)) {
    if (range.type.startsWith('application/com.github.proto-openapi.spec.v2')) return true;
    if (['application/json', 'application/*', '*/*'].includes(range.type)) return false;
  }
  return false;
}

function sendOpenapiV2(ctx: Koa.Context): boolean {
  ctx.set('Vary', 'Accept');
  if (!wantsOpenapiV2Protobuf(ctx.get('accept'))) return sendDocument(ctx, openapiV2());
  ctx.status = 200;
  ctx.set('Content-Type', openapiV2ProtobufContentType);
  ctx.body = openapiV2Protobuf();
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
    if (segments.length === 1) return sendGroupDiscovery(ctx, true);
    if (segments.length === 2) return sendDocument(ctx, apiResourceList('', second));
  }
  if (first === 'apis') {
    if (segments.length === 1) return sendGroupDiscovery(ctx, false);
    if (segments.length === 2) return sendDocument(ctx, apiGroup(second));
    if (segments.length === 3) return sendDocument(ctx, apiResourceList(second, third));
  }
  if (first === 'openapi' && second === 'v2' && segments.length === 2) return sendOpenapiV2(ctx);
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
