// The OpenAPI documents kube-apiserver serves: one Swagger 2.0 document at
// /openapi/v2, and at /openapi/v3 an index of one OpenAPI 3.0 document per
// group version. kubectl caches v3 documents by the hash in the index's URLs,
// so the hash must change whenever a document does.

import { createHash } from 'node:crypto';
import { resourceTypes, type ResourceType } from '../../api/resources.js';
import { allDefinitions, definitionsFor, type JsonSchema } from './definitions.js';
import { pathsFor, subresourceKind } from './paths.js';
import { encodeOpenapiV2 } from './protobuf.js';

export { openapiV2ProtobufContentType, openapiV2ProtobufMediaType } from './protobuf.js';
import { typeOfKind, typeOfResource, type TypeSchema } from './schema/index.js';

const info = { title: 'Kubernetes', version: 'v1.32.0' };

let v2Document: JsonSchema | undefined;

/** Returns the Swagger 2.0 document served at /openapi/v2 to JSON clients. */
export function openapiV2(): object {
  v2Document ??= {
    swagger: '2.0',
    info,
    paths: pathsFor(resourceTypes, 'v2'),
    definitions: allDefinitions('v2'),
    securityDefinitions: { BearerToken: { description: 'Bearer token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
  return v2Document;
}

let v2Protobuf: Buffer | undefined;

/**
 * Returns /openapi/v2 in the protobuf encoding that kubectl requests (see
 * openapiV2ProtobufMediaType); kubectl cannot read the JSON form.
 */
export function openapiV2Protobuf(): Buffer {
  v2Protobuf ??= encodeOpenapiV2(openapiV2());
  return v2Protobuf;
}

/** Returns the document key of a resource's group version: `api/v1` or `apis/apps/v1`. */
function documentKey(type: ResourceType): string {
  return type.group === '' ? `api/${type.version}` : `apis/${type.group}/${type.version}`;
}

function kindsOf(types: readonly ResourceType[]): TypeSchema[] {
  const roots = new Set<TypeSchema>();
  for (const type of types) {
    roots.add(typeOfResource(type));
    const list = typeOfKind(type.group, type.listKind);
    if (list) roots.add(list);
    for (const subresource of type.subresources) {
      const gvk = subresourceKind(type, subresource);
      const schema = gvk && typeOfKind(gvk.group, gvk.kind);
      if (schema) roots.add(schema);
    }
  }
  for (const kind of ['Status', 'DeleteOptions']) {
    const schema = typeOfKind('', kind);
    if (schema) roots.add(schema);
  }
  return [...roots];
}

interface V3Entry { document: JsonSchema; hash: string }

let v3Documents: Map<string, V3Entry> | undefined;

function buildV3Documents(): Map<string, V3Entry> {
  const groups = new Map<string, ResourceType[]>();
  for (const type of resourceTypes) groups.set(documentKey(type), [...(groups.get(documentKey(type)) ?? []), type]);

  const documents = new Map<string, V3Entry>();
  for (const [key, types] of groups) {
    const document = {
      openapi: '3.0.0',
      info,
      paths: pathsFor(types, 'v3'),
      components: {
        schemas: definitionsFor(kindsOf(types), 'v3'),
        securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } },
      },
    };
    const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
    documents.set(key, { document, hash });
  }
  return documents;
}

function v3(): Map<string, V3Entry> {
  v3Documents ??= buildV3Documents();
  return v3Documents;
}

/** Returns the index served at /openapi/v3: one entry per group version. */
export function openapiV3Index(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, entry] of v3()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${entry.hash}` };
  return { paths };
}

/** Returns the OpenAPI 3.0 document of one group version path, such as `api/v1` or `apis/apps/v1`. */
export function openapiV3Document(groupVersionPath: string): object | undefined {
  return v3().get(groupVersionPath.replace(/^\/+|\/+$/g, ''))?.document;
}

/** Returns the hash that the index carries for a document, for ETag and cache headers. */
export function openapiV3Hash(groupVersionPath: string): string | undefined {
  return v3().get(groupVersionPath.replace(/^\/+|\/+$/g, ''))?.hash;
}
