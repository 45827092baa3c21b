import test from 'ava';
import { resourceTypes } from '../../../api/resources.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from '../../../apiserver/discovery.js';
import { openapiV2, openapiV3Document, openapiV3Hash, openapiV3Index } from '../../../apiserver/openapi/index.js';
import { allTypes, parseTypeRef, typeNamed } from '../../../apiserver/openapi/schema/index.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

function v3Schemas(path: string): Record<string, Schema> {
  const document = openapiV3Document(path) as { components: { schemas: Record<string, Schema> } } | undefined;
  if (!document) throw new Error(`no document at ${path}`);
  return document.components.schemas;
}

test('every field type names a described type', (t) => {
  for (const type of allTypes) {
    for (const [name, field] of Object.entries(type.fields)) {
      let ref = parseTypeRef(field.type);
      while (ref.form === 'list' || ref.form === 'map') ref = ref.form === 'list' ? ref.item : ref.value;
      if (ref.form === 'named') t.notThrows(() => typeNamed(ref.form === 'named' ? ref.name : ''), `${type.name}.${name}`);
    }
  }
});

test('every served kind has a schema with its group-version-kind', (t) => {
  for (const resource of resourceTypes) {
    const path = resource.group === '' ? 'api/v1' : `apis/${resource.group}/${resource.version}`;
    const schemas = Object.values(v3Schemas(path));
    const match = schemas.find((schema) => (schema['x-kubernetes-group-version-kind'] as { kind: string; group: string }[] | undefined)
      ?.some((gvk) => gvk.kind === resource.kind && gvk.group === resource.group));
    t.truthy(match, resource.kind);
  }
});

test('v3 index points at hashed documents', (t) => {
  const index = openapiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
  t.deepEqual(Object.keys(index.paths).sort(), ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']);
  const url = index.paths['apis/apps/v1'].serverRelativeURL;
  t.is(url, `/openapi/v3/apis/apps/v1?hash=${openapiV3Hash('apis/apps/v1')}`);
  t.regex(url, /\?hash=[0-9A-F]{128}$/);
  t.is(openapiV3Document('apis/unknown/v1'), undefined);
});

test('patch strategies and list types of pod containers', (t) => {
  const schemas = v3Schemas('api/v1');
  const spec = schemas['io.k8s.api.core.v1.PodSpec'];
  t.like(spec.properties?.containers, {
    'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
  });
  t.like(spec.properties?.volumes, { 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-patch-merge-key': 'name' });
  t.like(spec.properties?.tolerations, { 'x-kubernetes-list-type': 'atomic' });
  t.deepEqual(spec.required, ['containers']);
  const container = schemas['io.k8s.api.core.v1.Container'];
  t.like(container.properties?.ports, { 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] });
  t.like(container.properties?.env, { 'x-kubernetes-patch-merge-key': 'name' });
  t.like(schemas['io.k8s.api.core.v1.PodStatus'].properties?.conditions, { 'x-kubernetes-patch-merge-key': 'type' });
  t.like(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties?.ownerReferences, { 'x-kubernetes-patch-merge-key': 'uid' });
});

test('v3 wraps described references in allOf', (t) => {
  const spec = v3Schemas('apis/apps/v1')['io.k8s.api.apps.v1.DeploymentSpec'];
  t.deepEqual(spec.properties?.template, {
    description: 'Template of the pods. Its restartPolicy may only be Always.',
    allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }],
    default: {},
  });
  t.like(spec.properties?.strategy, { 'x-kubernetes-patch-strategy': 'retainKeys' });
  t.is(v3Schemas('apis/apps/v1')['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
});

test('every reference resolves within its document', (t) => {
  const check = (document: unknown, prefix: string, definitions: Record<string, unknown>) => {
    const text = JSON.stringify(document);
    for (const match of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      t.true(match[1].startsWith(prefix) && match[1].slice(prefix.length) in definitions, match[1]);
    }
  };
  for (const path of ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']) {
    check(openapiV3Document(path), '#/components/schemas/', v3Schemas(path));
  }
  const v2 = openapiV2() as { definitions: Record<string, unknown> };
  check(v2, '#/definitions/', v2.definitions);
});

test('patch operations offer fieldValidation with their kind', (t) => {
  const document = openapiV3Document('apis/apps/v1') as { paths: Record<string, Record<string, { parameters?: { name: string }[]; 'x-kubernetes-group-version-kind'?: unknown }>> };
  const item = document.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  t.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  t.true(item.patch.parameters?.some((parameter) => parameter.name === 'fieldValidation'));
  const scale = document.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  t.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
});

test('v2 document lists paths and definitions', (t) => {
  const v2 = openapiV2() as { swagger: string; paths: Record<string, unknown>; definitions: Record<string, Schema> };
  t.is(v2.swagger, '2.0');
  t.truthy(v2.paths['/api/v1/namespaces/{namespace}/pods/{name}/status']);
  t.truthy(v2.paths['/api/v1/nodes/{name}']);
  t.is(v2.definitions['io.k8s.api.core.v1.Pod'].properties?.spec.$ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
  t.is(v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
});

test('version reports 1.32', (t) => {
  t.like(versionInfo(), { major: '1', minor: '32' });
  t.regex((versionInfo() as { gitVersion: string }).gitVersion, /^v1\.32\.\d+/);
});

test('api versions and groups', (t) => {
  t.deepEqual(apiVersions(), { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  const groups = (apiGroupList() as { groups: { name: string; preferredVersion: { groupVersion: string } }[] }).groups;
  t.deepEqual(groups.map((group) => group.preferredVersion.groupVersion), ['apps/v1', 'coordination.k8s.io/v1']);
  t.like(apiGroup('apps'), { kind: 'APIGroup', name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }] });
  t.is(apiGroup('batch'), undefined);
});

test('resource list of the core group', (t) => {
  const list = apiResourceList('', 'v1') as { groupVersion: string; resources: Record<string, unknown>[] };
  t.is(list.groupVersion, 'v1');
  const byName = new Map(list.resources.map((resource) => [resource.name, resource]));
  t.like(byName.get('pods'), { singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
  t.deepEqual(byName.get('pods')?.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  t.like(byName.get('pods/status'), { kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  t.like(byName.get('pods/log'), { kind: 'Pod', verbs: ['get'] });
  t.like(byName.get('pods/exec'), { kind: 'PodExecOptions', verbs: ['create', 'get'] });
  t.like(byName.get('pods/eviction'), { group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  t.like(byName.get('pods/binding'), { kind: 'Binding', verbs: ['create'] });
  t.like(byName.get('nodes'), { namespaced: false, shortNames: ['no'] });
  t.like(byName.get('namespaces'), { namespaced: false, shortNames: ['ns'] });
});

test('resource list of apps has scale subresources', (t) => {
  const list = apiResourceList('apps', 'v1') as { resources: Record<string, unknown>[] };
  const scale = list.resources.find((resource) => resource.name === 'deployments/scale');
  t.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  t.like(list.resources.find((resource) => resource.name === 'deployments'), { shortNames: ['deploy'], categories: ['all'] });
  t.is(apiResourceList('apps', 'v2'), undefined);
});

test('aggregated discovery lists every resource', (t) => {
  const core = aggregatedDiscovery(true) as { kind: string; items: { metadata: { name?: string }; versions: { version: string; resources: Record<string, unknown>[] }[] }[] };
  t.is(core.kind, 'APIGroupDiscoveryList');
  t.deepEqual(core.items.map((item) => item.metadata.name), [undefined]);
  const podsEntry = core.items[0].versions[0].resources.find((resource) => resource.resource === 'pods');
  t.like(podsEntry, { scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'], responseKind: { group: '', version: 'v1', kind: 'Pod' } });

  const named = aggregatedDiscovery(false) as typeof core;
  t.deepEqual(named.items.map((item) => item.metadata.name), ['apps', 'coordination.k8s.io']);
  const deploymentsEntry = named.items[0].versions[0].resources.find((resource) => resource.resource === 'deployments') as { subresources: Record<string, unknown>[] };
  t.deepEqual(deploymentsEntry.subresources.find((subresource) => subresource.subresource === 'scale'),
    { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
});
