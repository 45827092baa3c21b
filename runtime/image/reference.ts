// Image references, normalised the way docker shows them: `lab-hello` is
// `lab-hello:latest`, and `docker.io/library/x` is the same image as `x`.
// Grammar after the distribution project's reference package: lowercase
// path components separated by `/`, an optional registry host first, then
// `:tag` and/or `@sha256:<hex>`.

export interface ImageReference {
  /** Familiar repository name, such as `lab-hello` or `tinykube/base`. */
  repository: string;
  tag: string;
  /** `sha256:<hex>` when the reference pins a manifest digest. */
  digest?: string;
}

export class InvalidReferenceError extends Error {
  constructor(reference: string, reason: string) {
    super(`invalid image reference "${reference}": ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

const defaultTag = 'latest';
const dockerHubDomains = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Parses and normalises a reference; throws InvalidReferenceError on bad input. */
export function parseReference(reference: string): ImageReference {
  let rest = reference.trim();
  if (rest === '') throw new InvalidReferenceError(reference, 'empty');

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new InvalidReferenceError(reference, 'digest must be sha256:<64 hex digits>');
  }

  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  let tag = defaultTag;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new InvalidReferenceError(reference, `invalid tag "${tag}"`);
  }

  return { repository: familiarRepository(reference, rest), tag, ...(digest ? { digest } : {}) };
}

function familiarRepository(reference: string, name: string): string {
  const components = name.split('/');
  let domain: string | undefined;
  // Like docker, the first component is a registry host only if it contains
  // a dot or a port, or is `localhost`.
  const first = components[0] ?? '';
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    components.shift();
  }
  if (domain !== undefined) validateDomain(reference, domain);
  for (const component of components) {
    if (!pathComponent.test(component)) {
      throw new InvalidReferenceError(reference, `repository component "${component}" must be lowercase letters, digits and separators`);
    }
  }

  if (domain === undefined || dockerHubDomains.includes(domain)) {
    if (components.length === 2 && components[0] === 'library') return components[1] ?? '';
    return components.join('/');
  }
  return [domain, ...components].join('/');
}

function validateDomain(reference: string, domain: string): void {
  const [host = '', port] = domain.split(':');
  const valid = host.split('.').every((label) => domainComponent.test(label)) && (port === undefined || /^\d+$/.test(port));
  if (!valid) throw new InvalidReferenceError(reference, `invalid registry host "${domain}"`);
}

/** Formats a reference as `repository:tag`, the key of the image index. */
export function formatReference(reference: ImageReference): string {
  return `${reference.repository}:${reference.tag}`;
}

/** Returns the `repository:tag` form of a reference string. */
export function normaliseReference(reference: string): string {
  return formatReference(parseReference(reference));
}

/** True for `sha256:<hex>` image ids and bare hex id prefixes as docker accepts them. */
export function looksLikeImageId(value: string): boolean {
  return /^sha256:[a-f0-9]{1,64}$/.test(value) || /^[a-f0-9]{4,64}$/.test(value);
}
