// The paths section of the OpenAPI documents: one operation per verb of every
// served resource and subresource. kubectl reads two things from it. The
// fieldValidation parameter of PATCH operations shows that the server
// validates fields itself, and x-kubernetes-group-version-kind ties an
// operation to a kind.

import { groupVersionPath, type ResourceType } from '../../api/resources.js';
import type { Dialect, JsonSchema } from './definitions.js';
import { typeOfKind } from './schema/index.js';

interface Gvk { group: string; version: string; kind: string }

interface Operation {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  action: string;
  verb: string;
  gvk: Gvk;
  body?: string;
  response?: string;
  query: string[];
}

const queryDescriptions: Record<string, string> = {
  pretty: 'If true, the output is pretty-printed.',
  dryRun: 'When present, the request runs every stage but persists nothing. The only valid value is All.',
  fieldManager: 'Name of the actor making the change, recorded in managedFields.',
  fieldValidation: 'How the server treats unknown and duplicate fields in the body: Ignore, Warn or Strict.',
  force: 'Server-side apply only: take ownership of fields that other managers own.',
  labelSelector: 'Restricts the list to objects whose labels match this selector.',
  fieldSelector: 'Restricts the list to objects whose fields match this selector.',
  limit: 'The maximum number of items to return; the rest are reached with continue.',
  continue: 'The token from a previous limited list to fetch the next page.',
  resourceVersion: 'Which version of the data the request may be served from.',
  resourceVersionMatch: 'How resourceVersion applies to list calls: Exact or NotOlderThan.',
  timeoutSeconds: 'Timeout of the list or watch call, in seconds.',
  watch: 'Watch for changes instead of listing.',
  allowWatchBookmarks: 'Ask for BOOKMARK watch events.',
  sendInitialEvents: 'Start a watch with synthetic ADDED events for the current state.',
  gracePeriodSeconds: 'Seconds before the object is deleted; zero deletes at once.',
  propagationPolicy: 'How dependents are garbage-collected: Orphan, Background or Foreground.',
  orphanDependents: 'Deprecated: use propagationPolicy.',
  container: 'The container to read logs of or to run a command in.',
  follow: 'Follow the log stream.',
  previous: 'Read the logs of the previous run of the container.',
  tailLines: 'Number of lines from the end of the log to show.',
  sinceSeconds: 'Show only logs newer than this many seconds.',
  timestamps: 'Prefix each log line with its timestamp.',
  command: 'The command to run, one argument per parameter.',
  stdin: 'Redirect the standard input stream.',
  stdout: 'Redirect the standard output stream.',
  stderr: 'Redirect the standard error stream.',
  tty: 'Allocate a terminal.',
};

const integerQuery = new Set(['limit', 'timeoutSeconds', 'gracePeriodSeconds', 'tailLines', 'sinceSeconds']);
const booleanQuery = new Set(['watch', 'allowWatchBookmarks', 'sendInitialEvents', 'force', 'orphanDependents', 'follow', 'previous', 'timestamps', 'stdin', 'stdout', 'stderr', 'tty']);

const listQuery = ['pretty', 'labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'watch', 'allowWatchBookmarks', 'sendInitialEvents'];
const writeQuery = ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'];
const deleteQuery = ['pretty', 'dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents'];

function gvkOf(type: ResourceType): Gvk {
  return { group: type.group, version: type.version, kind: type.kind };
}

/** The kind a subresource takes and returns, as discovery reports it. */
export function subresourceKind(type: ResourceType, subresource: string): Gvk | undefined {
  switch (subresource) {
    case 'status': return gvkOf(type);
    case 'scale': return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    case 'binding': return { group: '', version: 'v1', kind: 'Binding' };
    case 'eviction': return { group: 'policy', version: 'v1', kind: 'Eviction' };
    case 'finalize': return gvkOf(type);
    default: return undefined;
  }
}

function collectionOperations(type: ResourceType): Operation[] {
  const gvk = gvkOf(type);
  const operations: Operation[] = [{ method: 'get', action: 'list', verb: 'list', gvk, response: type.listKind, query: listQuery }];
  if (type.verbs.includes('create')) operations.push({ method: 'post', action: 'post', verb: 'create', gvk, body: type.kind, response: type.kind, query: writeQuery });
  if (type.verbs.includes('deletecollection')) operations.push({ method: 'delete', action: 'deletecollection', verb: 'deletecollection', gvk, body: 'DeleteOptions', response: 'Status', query: [...deleteQuery, ...listQuery] });
  return operations;
}

function itemOperations(type: ResourceType, kind: string, gvk: Gvk): Operation[] {
  return [
    { method: 'get', action: 'get', verb: 'read', gvk, response: kind, query: ['pretty'] },
    { method: 'put', action: 'put', verb: 'replace', gvk, body: kind, response: kind, query: writeQuery },
    { method: 'patch', action: 'patch', verb: 'patch', gvk, body: 'Patch', response: kind, query: [...writeQuery, 'force'] },
    ...(type.verbs.includes('delete') ? [{ method: 'delete' as const, action: 'delete', verb: 'delete', gvk, body: 'DeleteOptions', response: kind, query: deleteQuery }] : []),
  ];
}

function subresourceOperations(type: ResourceType, subresource: string): Operation[] {
  const gvk = subresourceKind(type, subresource);
  switch (subresource) {
    case 'status':
    case 'scale':
      return itemOperations({ ...type, verbs: [] }, gvk?.kind ?? type.kind, gvk ?? gvkOf(type));
    case 'binding':
    case 'eviction':
      return gvk ? [{ method: 'post', action: 'post', verb: 'create', gvk, body: gvk.kind, response: gvk.kind, query: writeQuery }] : [];
    case 'finalize':
      return [{ method: 'put', action: 'put', verb: 'replace', gvk: gvkOf(type), body: type.kind, response: type.kind, query: writeQuery }];
    case 'log':
      return [{ method: 'get', action: 'get', verb: 'read', gvk: gvkOf(type), response: 'string', query: ['container', 'follow', 'previous', 'tailLines', 'sinceSeconds', 'timestamps'] }];
    case 'exec':
      return [{ method: 'get', action: 'connect', verb: 'connectGet', gvk: gvkOf(type), response: 'string', query: ['command', 'container', 'stdin', 'stdout', 'stderr', 'tty'] }];
    default:
      return [];
  }
}

function definitionId(kind: string, gvk: Gvk): string | undefined {
  if (kind === 'Patch' || kind === 'string') return undefined;
  const metaKinds = ['DeleteOptions', 'Status'];
  return (metaKinds.includes(kind) ? typeOfKind('', kind) : typeOfKind(gvk.group, kind) ?? typeOfKind('', kind))?.id;
}

function parameter(name: string, where: 'path' | 'query', dialect: Dialect): JsonSchema {
  const type = integerQuery.has(name) ? 'integer' : booleanQuery.has(name) ? 'boolean' : 'string';
  const description = where === 'path' ? `${name} of the object` : queryDescriptions[name] ?? name;
  const base: JsonSchema = { name, in: where, description, ...(where === 'path' ? { required: true } : { uniqueItems: true }) };
  return dialect === 'v2' ? { ...base, type } : { ...base, schema: { type } };
}

const patchContentTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function operationId(operation: Operation, type: ResourceType, namespaced: boolean, subresource: string | undefined): string {
  const group = type.group === '' ? 'Core' : type.group.split('.')[0].replace(/^./, (c) => c.toUpperCase());
  const scope = namespaced ? 'Namespaced' : '';
  const suffix = subresource ? subresource.replace(/^./, (c) => c.toUpperCase()) : '';
  const all = !namespaced && type.namespaced ? 'ForAllNamespaces' : '';
  return `${operation.verb}${group}${type.version.toUpperCase()}${scope}${type.kind}${suffix}${all}`;
}

function renderOperation(operation: Operation, type: ResourceType, namespaced: boolean, subresource: string | undefined, dialect: Dialect): JsonSchema {
  const prefix = dialect === 'v2' ? '#/definitions/' : '#/components/schemas/';
  const responseId = operation.response ? definitionId(operation.response, operation.gvk) : undefined;
  const responseSchema: JsonSchema = responseId ? { $ref: prefix + responseId } : { type: 'string' };
  const rendered: JsonSchema = {
    description: `${operation.action} ${subresource ?? ''} ${type.kind}`.replace(/\s+/g, ' '),
    operationId: operationId(operation, type, namespaced, subresource),
    tags: [type.group === '' ? 'core_v1' : `${type.group.split('.')[0]}_${type.version}`],
    parameters: operation.query.map((name) => parameter(name, 'query', dialect)),
    'x-kubernetes-action': operation.action,
    'x-kubernetes-group-version-kind': operation.gvk,
  };
  const bodyId = operation.body ? definitionId(operation.body, operation.gvk) : undefined;
  const bodySchema: JsonSchema = bodyId ? { $ref: prefix + bodyId } : { type: 'object' };
  if (dialect === 'v2') {
    rendered.responses = { 200: { description: 'OK', schema: responseSchema }, 401: { description: 'Unauthorized' } };
    if (operation.body) (rendered.parameters as JsonSchema[]).unshift({ name: 'body', in: 'body', required: operation.body !== 'DeleteOptions', schema: bodySchema });
    if (operation.method === 'patch') rendered.consumes = patchContentTypes;
  } else {
    rendered.responses = { 200: { description: 'OK', content: { 'application/json': { schema: responseSchema }, 'application/yaml': { schema: responseSchema } } } };
    if (operation.body) {
      const types = operation.method === 'patch' ? patchContentTypes : ['*/*'];
      rendered.requestBody = { content: Object.fromEntries(types.map((contentType) => [contentType, { schema: bodySchema }])), required: operation.body !== 'DeleteOptions' };
    }
  }
  return rendered;
}

/** Builds the paths of the given resources, in one OpenAPI dialect. */
export function pathsFor(types: readonly ResourceType[], dialect: Dialect): Record<string, JsonSchema> {
  const paths: Record<string, JsonSchema> = {};
  const add = (path: string, pathParameters: string[], operations: Operation[], type: ResourceType, namespaced: boolean, subresource?: string) => {
    if (operations.length === 0) return;
    const item: JsonSchema = { parameters: pathParameters.map((name) => parameter(name, 'path', dialect)) };
    for (const operation of operations) item[operation.method] = renderOperation(operation, type, namespaced, subresource, dialect);
    paths[path] = item;
  };

  for (const type of types) {
    const base = groupVersionPath(type);
    const scope = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
    const scopeParameters = type.namespaced ? ['namespace'] : [];
    add(scope, scopeParameters, collectionOperations(type), type, type.namespaced);
    if (type.namespaced) add(`${base}/${type.plural}`, [], collectionOperations(type).filter((operation) => operation.action === 'list'), type, false);
    add(`${scope}/{name}`, ['name', ...scopeParameters], itemOperations(type, type.kind, gvkOf(type)), type, type.namespaced);
    for (const subresource of type.subresources) {
      add(`${scope}/{name}/${subresource}`, ['name', ...scopeParameters], subresourceOperations(type, subresource), type, type.namespaced, subresource);
    }
  }
  return paths;
}

