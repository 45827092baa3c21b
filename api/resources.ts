// The registry of served resources. The apiserver builds discovery, routing
// and OpenAPI from it, and every client builds request paths from it, so a
// resource is added in exactly one place.

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  verbs: string[];
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resource(spec: Omit<ResourceType, 'listKind' | 'verbs' | 'categories' | 'shortNames' | 'subresources'> &
  Partial<Pick<ResourceType, 'verbs' | 'categories' | 'shortNames' | 'subresources'>>): ResourceType {
  return {
    listKind: `${spec.kind}List`,
    verbs: allVerbs,
    categories: [],
    shortNames: [],
    subresources: [],
    ...spec,
  };
}

export const namespaces = resource({
  group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace',
  namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
});

export const nodes = resource({
  group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node',
  namespaced: false, shortNames: ['no'], subresources: ['status'],
});

export const pods = resource({
  group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod',
  namespaced: true, shortNames: ['po'], categories: ['all'],
  subresources: ['status', 'binding', 'eviction', 'log', 'exec'],
});

export const events = resource({
  group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event',
  namespaced: true, shortNames: ['ev'],
});

export const replicaSets = resource({
  group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset',
  namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'],
});

export const deployments = resource({
  group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment',
  namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'],
});

export const leases = resource({
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease',
  namespaced: true,
});

export const resourceTypes: readonly ResourceType[] = [namespaces, nodes, pods, events, replicaSets, deployments, leases];

/** Returns `v1` for the core group and `group/version` otherwise, as in apiVersion fields. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Returns the URL prefix of a group version: `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

/** Builds the URL path of a collection, or of one object when name is given. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let path = groupVersionPath(type);
  if (type.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

export function findResourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((type) => apiVersionOf(type) === apiVersion && type.kind === kind);
}

export function findResourceByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((type) => type.group === group && type.version === version && type.plural === plural);
}
