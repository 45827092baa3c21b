// TODO: placeholder; discovery documents are not written yet.
/** The /version document. */
export function versionInfo(): object {
  return { major: '1', minor: '32', gitVersion: 'v1.32.0-tinykube', platform: `${process.platform}/${process.arch}` };
}
/** The /api document (APIVersions). */
export function apiVersions(): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}
/** The /apis document (APIGroupList). */
export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
}
/** The APIResourceList of /api/v1 or /apis/GROUP/VERSION, or undefined when that group version is not served. */
export function apiResourceList(_group: string, _version: string): object | undefined {
  return undefined;
}
