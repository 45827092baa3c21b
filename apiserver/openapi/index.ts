// TODO: placeholder; schemas are not written yet.
/** The Swagger 2.0 document served at /openapi/v2. */
export function openapiV2(): object {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} };
}

/** The index served at /openapi/v3: one entry per group version. */
export function openapiV3Index(): object {
  return { paths: {} };
}

/** The OpenAPI 3.0 document of one group version path, such as `api/v1` or `apis/apps/v1`. */
export function openapiV3Document(_groupVersionPath: string): object | undefined {
  return undefined;
}
