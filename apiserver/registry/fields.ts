// Field selectors: the fields each kind can be selected by (as kube-apiserver's
// GetAttrs functions expose them) and the parser of `?fieldSelector=`.

import type { ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { badRequest } from '../errors.js';
import type { ObjectAttributes } from '../storage/interface.js';

type FieldGetter = (object: Record<string, unknown>) => unknown;

function path(...segments: string[]): FieldGetter {
  return (object) => {
    let value: unknown = object;
    for (const segment of segments) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
    return value;
  };
}

const hostNetwork = path('spec', 'hostNetwork');
const unschedulable = path('spec', 'unschedulable');
const replicas = path('status', 'replicas');

const kindFields: Record<string, Record<string, FieldGetter>> = {
  Pod: {
    'spec.nodeName': path('spec', 'nodeName'),
    'spec.restartPolicy': path('spec', 'restartPolicy'),
    'spec.schedulerName': path('spec', 'schedulerName'),
    'spec.serviceAccountName': path('spec', 'serviceAccountName'),
    'spec.hostNetwork': (object) => String(hostNetwork(object) ?? false),
    'status.phase': path('status', 'phase'),
    'status.podIP': path('status', 'podIP'),
    'status.nominatedNodeName': path('status', 'nominatedNodeName'),
  },
  Event: {
    'involvedObject.kind': path('involvedObject', 'kind'),
    'involvedObject.namespace': path('involvedObject', 'namespace'),
    'involvedObject.name': path('involvedObject', 'name'),
    'involvedObject.uid': path('involvedObject', 'uid'),
    'involvedObject.apiVersion': path('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': path('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': path('involvedObject', 'fieldPath'),
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: path('source', 'component'),
    type: path('type'),
  },
  Node: { 'spec.unschedulable': (object) => String(unschedulable(object) ?? false) },
  Namespace: { 'status.phase': path('status', 'phase') },
  ReplicaSet: { 'status.replicas': (object) => String(replicas(object) ?? 0) },
};

function supportedFields(type: ResourceType): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(kindFields[type.kind] ?? {})];
}

/** Computes the labels and selectable fields stored next to an object. */
export function attributesOf(type: ResourceType, object: KubeObject): ObjectAttributes {
  const fields: Record<string, string> = {
    'metadata.name': object.metadata.name ?? '',
    'metadata.namespace': object.metadata.namespace ?? '',
  };
  for (const [field, get] of Object.entries(kindFields[type.kind] ?? {})) {
    const value = get(object as unknown as Record<string, unknown>);
    fields[field] = value === undefined || value === null ? '' : String(value);
  }
  return { labels: object.metadata.labels, fields };
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Readonly<Record<string, string>>): boolean;
}

/** Parses `a=b,c!=d,e==f`; a field the kind does not support is 400 BadRequest, as in kube-apiserver. */
export function parseFieldSelector(type: ResourceType, text: string | undefined): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid field selector: "${term}": expected field=value, field==value or field!=value`);
    const [, field, operator, value] = match;
    if (!supportedFields(type).includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    requirements.push({ field, operator: operator === '!=' ? '!=' : '=', value });
  }
  return {
    requirements,
    matches: (fields) => requirements.every((requirement) =>
      (fields[requirement.field] === requirement.value) === (requirement.operator === '=')),
  };
}
