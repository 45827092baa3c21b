// API errors as metav1.Status objects, with the reasons, codes and causes
// that kube-apiserver uses, so kubectl prints them as Kubernetes users know.

import type { Status, StatusCause } from '../api/types.js';

/** An error that the central handler turns into a Status response. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'StatusError';
  }

  get code(): number {
    return this.status.code ?? 500;
  }
}

interface Target {
  group?: string;
  /** The resource name as kube-apiserver prints it: `pods`, `deployments.apps`. */
  resource: string;
  name?: string;
}

function qualified(target: Target): string {
  return target.group ? `${target.resource}.${target.group}` : target.resource;
}

function failure(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
}

export const notFound = (target: Target) =>
  failure(404, 'NotFound', `${qualified(target)} "${target.name ?? ''}" not found`,
    { name: target.name, group: target.group, kind: target.resource });

export const alreadyExists = (target: Target) =>
  failure(409, 'AlreadyExists', `${qualified(target)} "${target.name ?? ''}" already exists`,
    { name: target.name, group: target.group, kind: target.resource });

export const conflict = (target: Target, why: string) =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(target)} "${target.name ?? ''}": ${why}`,
    { name: target.name, group: target.group, kind: target.resource });

/** 422 Invalid, as `The Pod "x" is invalid: spec.containers[0].image: Required value`. */
export function invalid(kind: string, group: string | undefined, name: string, causes: StatusCause[]): StatusError {
  const detail = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message)).join(', ');
  const summary = causes.length === 1 ? detail : `[${detail}]`;
  return failure(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`, { name, group, kind, causes });
}

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

export const forbidden = (target: Target, why: string) =>
  failure(403, 'Forbidden', `${qualified(target)} "${target.name ?? ''}" is forbidden: ${why}`,
    { name: target.name, group: target.group, kind: target.resource });

export const methodNotAllowed = (message: string) => failure(405, 'MethodNotAllowed', message);

export const gone = (message: string) => failure(410, 'Expired', message);

export const requestEntityTooLarge = (message: string) => failure(413, 'RequestEntityTooLarge', message);

export const unsupportedMediaType = (contentType: string) =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml; got ${contentType}`);

export const notAcceptable = (message: string) => failure(406, 'NotAcceptable', message);

export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  failure(429, 'TooManyRequests', message, { retryAfterSeconds });

export const internalError = (message: string) => failure(500, 'InternalError', `Internal error occurred: ${message}`);

export const serviceUnavailable = (message: string) => failure(503, 'ServiceUnavailable', message);
