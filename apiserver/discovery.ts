// Discovery documents: what kubectl reads to map `po`, `deploy` or `all` to a
// resource, to learn its verbs, and to find the autoscaling/v1 Scale kind of
// the scale subresources that `kubectl scale` uses.

import { resourceTypes, type ResourceType } from '../api/resources.js';
import { subresourceKind } from './openapi/paths.js';

/** Returns the /version document, as a 1.32 kube-apiserver reports it. */
export function versionInfo(): object {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0+tinykube',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** Returns the /api document (APIVersions). */
export function apiVersions(): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

function namedGroups(): string[] {
  return [...new Set(resourceTypes.filter((type) => type.group !== '').map((type) => type.group))];
}

function versionsOf(group: string): string[] {
  return [...new Set(resourceTypes.filter((type) => type.group === group).map((type) => type.version))];
}

/** Returns the /apis document (APIGroupList). */
export function apiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: namedGroups().map((name) => apiGroup(name)),
  };
}

/** Returns the /apis/GROUP document (APIGroup), or undefined for a group that is not served. */
export function apiGroup(group: string): object | undefined {
  const versions = versionsOf(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  if (versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

const subresourceVerbs: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  eviction: ['create'],
  finalize: ['update'],
  log: ['get'],
  exec: ['create', 'get'],
};

function subresourceEntry(type: ResourceType, subresource: string): APIResource {
  const gvk = subresourceKind(type, subresource);
  const entry: APIResource = {
    name: `${type.plural}/${subresource}`,
    singularName: '',
    namespaced: type.namespaced,
    kind: subresource === 'exec' ? 'PodExecOptions' : gvk?.kind ?? type.kind,
    verbs: subresourceVerbs[subresource] ?? ['get'],
  };
  // The group and version appear only where they differ from the list's own.
  if (gvk && (gvk.group !== type.group || gvk.version !== type.version)) {
    entry.group = gvk.group;
    entry.version = gvk.version;
  }
  return entry;
}

function resourceEntry(type: ResourceType): APIResource {
  const entry: APIResource = { name: type.plural, singularName: type.singular, namespaced: type.namespaced, kind: type.kind, verbs: type.verbs };
  if (type.shortNames.length > 0) entry.shortNames = type.shortNames;
  if (type.categories.length > 0) entry.categories = type.categories;
  return entry;
}

/** Returns the APIResourceList of /api/v1 or /apis/GROUP/VERSION, or undefined when that group version is not served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const types = resourceTypes.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((type) => [resourceEntry(type), ...type.subresources.map((subresource) => subresourceEntry(type, subresource))]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}

/** The media type of aggregated discovery, which kubectl 1.32 lists first in the Accept header of /api and /apis. */
export const aggregatedDiscoveryMediaType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function discoveredResource(type: ResourceType): object {
  const gvk = (subresource: string) => subresourceKind(type, subresource) ?? { group: type.group, version: type.version, kind: type.kind };
  return {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: type.verbs,
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
    subresources: type.subresources.map((subresource) => ({
      subresource,
      responseKind: subresource === 'exec' ? { group: '', version: 'v1', kind: 'PodExecOptions' } : gvk(subresource),
      verbs: subresourceVerbs[subresource] ?? ['get'],
    })),
  };
}

/**
 * Returns the aggregated discovery document (apidiscovery.k8s.io/v2
 * APIGroupDiscoveryList) of /api when core is true, or of /apis otherwise.
 * It carries every resource of every group in one response.
 */
export function aggregatedDiscovery(core: boolean): object {
  const groups = core ? [''] : namedGroups();
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: group === '' ? {} : { name: group },
      versions: versionsOf(group).map((version) => ({
        version,
        resources: resourceTypes.filter((type) => type.group === group && type.version === version).map(discoveredResource),
        freshness: 'Current',
      })),
    })),
  };
}
