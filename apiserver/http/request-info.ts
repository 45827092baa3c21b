// Parses a request path into what it addresses, after kube-apiserver's
// RequestInfoFactory: a resource request (group, version, resource,
// namespace, name, subresource and verb) or a non-resource path.

import { findResourceByPlural, type ResourceType } from '../../api/resources.js';
import { badRequest, notFound } from '../errors.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  verb: Verb;
  /** The query parameters of the request. */
  query: URLSearchParams;
}

/** The subresources of a namespace, which follow `/namespaces/NAME/` where a resource would otherwise be. */
const namespaceSubresources = new Set(['status', 'finalize']);

/** Splits a raw path into decoded segments; a segment that is not valid percent-encoding is 400. */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    // Most segments have no escapes, and every request splits its path, so only escaped ones are decoded.
    segments.push(segment.includes('%') ? decodeSegment(segment) : segment);
  }
  return segments;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid percent-encoding in path segment "${segment}"`);
  }
}

function verbOf(method: string, hasName: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/**
 * Returns the resource request a path addresses, or undefined for a path
 * outside /api/v1 and /apis/GROUP/VERSION resources (discovery, health and
 * the like). An unknown resource under a served group version is 404.
 */
export function parseResourceRequest(method: string, rawPath: string, query: URLSearchParams): ResourceRequest | undefined {
  const segments = pathSegments(rawPath);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    [group, version, rest] = ['', segments[1], segments.slice(2)];
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    [group, version, rest] = [segments[1], segments[2], segments.slice(3)];
  } else {
    return undefined;
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresources.has(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const type = findResourceByPlural(group, version, plural);
  if (!type) throw notFound({ resource: plural, group: group || undefined, name: '' });
  if (extra.length > 0 || (subresource !== undefined && !type.subresources.includes(subresource))) {
    throw notFound({ resource: `${plural}/${[subresource, ...extra].join('/')}`, group: group || undefined, name: name ?? '' });
  }
  // A cluster-scoped kind's own name sits where a namespace would: /api/v1/namespaces/NAME.
  if (!type.namespaced && namespace !== undefined) throw notFound({ resource: plural, group: group || undefined, name: name ?? '' });

  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const verb = verbOf(method, name !== undefined, watch);
  if (!verb) throw badRequest(`method ${method} is not supported on ${rawPath}`);
  return { type, namespace, name, subresource, verb, query };
}
