// The REST handlers of resources and their subresources: each verb is
// decoded from the request, run against the registry, and encoded as JSON
// or as a Table.

import { Readable } from 'node:stream';
import type Koa from 'koa';
import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, Scale } from '../../api/types.js';
import { badRequest, methodNotAllowed, unsupportedMediaType } from '../errors.js';
import { applyPatch } from '../patch/index.js';
import { deleteCollection, deletedStatus, deleteObject, parseDeleteRequest, returnsDeletedObject } from '../registry/delete.js';
import type { Registry, WriteOptions } from '../registry/store.js';
import { bindPod, evictPod, finalizeNamespace, getScale, updateScale } from '../registry/subresources.js';
import { parseFieldValidation } from '../registry/unknown-fields.js';
import { decodeBody, mediaType, patchContentTypes, readBody } from './body.js';
import { listJson, listJsonChunks, parseIncludeObject, requestedTableVersion, toTable } from './negotiation.js';
import { proxyLogs } from './proxy.js';
import type { ResourceRequest } from './request-info.js';
import { prepareWatch, type WatchSettings } from './watch.js';

export interface HandlerContext {
  registry: Registry;
  watch: WatchSettings;
}

/** kube-apiserver's default field manager: the user agent up to its first '/'. */
function defaultFieldManager(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0].slice(0, 128) || 'unknown';
}

function writeOptions(ctx: Koa.Context, query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  if (dryRun.some((value) => value !== 'All')) throw badRequest(`dryRun: Unsupported value: "${dryRun.find((value) => value !== 'All')}": supported values: "All"`);
  return {
    dryRun: dryRun.length > 0,
    fieldManager: query.get('fieldManager') || defaultFieldManager(ctx.get('user-agent')),
    fieldValidation: parseFieldValidation(query.get('fieldValidation') ?? undefined),
    warnings: [],
  };
}

function sendWarnings(ctx: Koa.Context, warnings: string[]): void {
  if (warnings.length > 0) ctx.set('Warning', warnings.map((warning) => `299 - ${JSON.stringify(warning)}`));
}

function sendJson(ctx: Koa.Context, status: number, json: string): void {
  ctx.status = status;
  // Set as the header itself, as kube-apiserver sends it: ctx.type would look the type up and add a charset on every response.
  ctx.set('Content-Type', 'application/json');
  ctx.body = json;
}

/** Sends one object as JSON, or as a one-row Table when the client asked for a Table. */
function sendObject(ctx: Koa.Context, type: ResourceType, status: number, value: { json: string }): void {
  const tableVersion = requestedTableVersion(ctx.get('accept'));
  if (!tableVersion) return sendJson(ctx, status, value.json);
  const object = JSON.parse(value.json) as KubeObject;
  const table = toTable(type, [object], tableVersion, { includeObject: parseIncludeObject(ctx.URL.searchParams.get('includeObject')) });
  sendJson(ctx, status, JSON.stringify(table));
}

async function requestBody(ctx: Koa.Context): Promise<unknown> {
  return decodeBody(await readBody(ctx.req), ctx.get('content-type') || undefined);
}

export async function handleResource(ctx: Koa.Context, handler: HandlerContext, request: ResourceRequest): Promise<void> {
  const { type, namespace, name, subresource, verb, query } = request;
  const registry = handler.registry;
  if (type.namespaced && !namespace && ['create', 'deletecollection'].includes(verb)) {
    throw methodNotAllowed(`${verb} of ${type.plural} needs a namespace in the path: ${ctx.path}`);
  }

  switch (verb) {
    case 'get': {
      if (name === undefined) break;
      if (subresource === 'log') return proxyLogs(ctx, registry, type, namespace, name);
      if (subresource === 'exec') throw badRequest('exec needs a WebSocket upgrade request');
      if (subresource === 'scale') return sendJson(ctx, 200, JSON.stringify(await getScale(registry, type, namespace, name)));
      if (subresource && subresource !== 'status') throw methodNotAllowed(`GET is not supported on ${type.plural}/${subresource}`);
      return sendObject(ctx, type, 200, await registry.get(type, namespace, name));
    }
    case 'list':
      return handleList(ctx, registry, type, namespace, query);
    case 'watch': {
      if (subresource) throw methodNotAllowed(`watch is not supported on ${type.plural}/${subresource}`);
      // A watch of one object is a watch of its collection selected by name, as kube-apiserver serves it.
      if (name !== undefined) {
        const selector = query.get('fieldSelector');
        query.set('fieldSelector', selector ? `${selector},metadata.name=${name}` : `metadata.name=${name}`);
      }
      const tableVersion = requestedTableVersion(ctx.get('accept'));
      const includeObject = parseIncludeObject(query.get('includeObject'));
      const start = prepareWatch(registry, { type, namespace, query, table: tableVersion ? { version: tableVersion, includeObject } : undefined }, handler.watch);
      ctx.respond = false;
      return start(ctx.res);
    }
    case 'create':
      return handleCreate(ctx, registry, request, query);
    case 'update':
      return handleUpdate(ctx, registry, request, query);
    case 'patch':
      return handlePatch(ctx, registry, request, query);
    case 'delete': {
      if (subresource || name === undefined) throw methodNotAllowed(`DELETE is not supported on ${type.plural}/${subresource}`);
      const deleteRequest = parseDeleteRequest(await requestBody(ctx), query);
      const outcome = await deleteObject(registry, type, namespace, name, deleteRequest);
      if (outcome.deleted && !returnsDeletedObject(type)) {
        return sendJson(ctx, 200, JSON.stringify(deletedStatus(type, JSON.parse(outcome.value.json) as KubeObject)));
      }
      return sendJson(ctx, 200, outcome.value.json);
    }
    case 'deletecollection': {
      if (!type.verbs.includes('deletecollection')) throw methodNotAllowed(`deletecollection is not supported on ${type.plural}`);
      const deleteRequest = parseDeleteRequest(await requestBody(ctx), query);
      const items = await deleteCollection(registry, type, namespace,
        { labelSelector: query.get('labelSelector') ?? undefined, fieldSelector: query.get('fieldSelector') ?? undefined }, deleteRequest);
      return sendJson(ctx, 200, listJson(type, items, { resourceVersion: String(registry.storage.currentRevision()) }));
    }
  }
  throw methodNotAllowed(`${ctx.method} is not supported on ${ctx.path}`);
}

async function handleList(ctx: Koa.Context, registry: Registry, type: ResourceType, namespace: string | undefined, query: URLSearchParams): Promise<void> {
  const limitText = query.get('limit');
  const limit = limitText ? Number(limitText) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`limit: Invalid value: ${JSON.stringify(limitText)}: must be a non-negative integer`);
  const page = await registry.list(type, namespace, {
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
    limit,
    continue: query.get('continue') ?? undefined,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
  });
  const listMeta = { resourceVersion: String(page.revision), continue: page.continue, remainingItemCount: page.remainingItemCount };
  const tableVersion = requestedTableVersion(ctx.get('accept'));
  if (!tableVersion) {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = Readable.from(listJsonChunks(type, page.items, listMeta), { objectMode: false });
    return;
  }
  const objects = page.items.map((item) => JSON.parse(item.json) as KubeObject);
  const table = toTable(type, objects, tableVersion, { includeObject: parseIncludeObject(query.get('includeObject')), listMeta });
  sendJson(ctx, 200, JSON.stringify(table));
}

async function handleCreate(ctx: Koa.Context, registry: Registry, request: ResourceRequest, query: URLSearchParams): Promise<void> {
  const { type, namespace, name, subresource } = request;
  const options = writeOptions(ctx, query);
  const body = await requestBody(ctx);
  if (name !== undefined && subresource === 'binding') return sendJson(ctx, 201, JSON.stringify(await bindPod(registry, type, namespace, name, body)));
  if (name !== undefined && subresource === 'eviction') return sendJson(ctx, 201, JSON.stringify(await evictPod(registry, type, namespace, name, body, options.dryRun)));
  if (name !== undefined) throw methodNotAllowed(`POST is not supported on ${ctx.path}`);
  if (body === undefined) throw badRequest('the request body is empty: expected an object');
  const result = await registry.create(type, namespace, body as KubeObject, options);
  sendWarnings(ctx, options.warnings);
  sendObject(ctx, type, 201, result.value);
}

async function handleUpdate(ctx: Koa.Context, registry: Registry, request: ResourceRequest, query: URLSearchParams): Promise<void> {
  const { type, namespace, name, subresource } = request;
  if (name === undefined) throw methodNotAllowed(`PUT is not supported on a collection: ${ctx.path}`);
  const options = writeOptions(ctx, query);
  const body = await requestBody(ctx);
  if (body === undefined || body === null || typeof body !== 'object') throw badRequest('the request body is empty: expected an object');
  if (subresource === 'scale') {
    const scale = await updateScale(registry, type, namespace, name, () => body as Scale, options);
    return sendJson(ctx, 200, JSON.stringify(scale));
  }
  if (subresource === 'finalize') return sendObject(ctx, type, 200, await finalizeNamespace(registry, type, name, body, options.dryRun));
  if (subresource && subresource !== 'status') throw methodNotAllowed(`PUT is not supported on ${type.plural}/${subresource}`);
  const result = await registry.update(type, namespace, name, body as KubeObject, { ...options, subresource: subresource === 'status' ? 'status' : undefined });
  sendWarnings(ctx, options.warnings);
  sendObject(ctx, type, result.created ? 201 : 200, result.value);
}

async function handlePatch(ctx: Koa.Context, registry: Registry, request: ResourceRequest, query: URLSearchParams): Promise<void> {
  const { type, namespace, name, subresource } = request;
  if (name === undefined) throw methodNotAllowed(`PATCH is not supported on a collection: ${ctx.path}`);
  const contentType = mediaType(ctx.get('content-type'));
  if (!patchContentTypes.includes(contentType)) throw unsupportedMediaType(ctx.get('content-type'));
  const options = writeOptions(ctx, query);
  const isApply = contentType === 'application/apply-patch+yaml';
  if (isApply && !query.get('fieldManager')) throw badRequest('PATCH, application/apply-patch+yaml requests must include a fieldManager query parameter');
  const force = query.get('force') === 'true';
  if (query.has('force') && !isApply) throw badRequest('force: Forbidden: may not be specified for non-apply patch');
  const raw = await readBody(ctx.req);
  // Decoding checks the syntax early, so a malformed patch is 400 before anything is read.
  const decoded = decodeBody(raw, contentType);
  const body = raw.toString('utf8');
  const parsedBody = isApply ? undefined : decoded;

  if (subresource === 'scale') {
    const scale = await updateScale(registry, type, namespace, name, (current) =>
      applyPatch({ ...type, kind: 'Scale', group: 'autoscaling', version: 'v1' }, current, body, contentType,
        { fieldManager: options.fieldManager, force, subresource: 'scale' }) as Scale, options);
    return sendJson(ctx, 200, JSON.stringify(scale));
  }
  if (subresource && subresource !== 'status') throw methodNotAllowed(`PATCH is not supported on ${type.plural}/${subresource}`);
  const result = await registry.patch(type, namespace, name, body, { ...options, contentType, force, parsedBody, subresource: subresource === 'status' ? 'status' : undefined });
  sendWarnings(ctx, options.warnings);
  sendObject(ctx, type, result.created ? 201 : 200, result.value);
}
