// Types of io.k8s.apimachinery.pkg.apis.meta.v1 that the served kinds refer to.

import { definePackage, mergedBy } from './model.js';

const apiVersion = ['string', 'The versioned schema of this object, such as v1 or apps/v1. The server rejects versions it does not serve.'] as const;
const kind = ['string', 'The REST resource this object represents, in CamelCase, such as Pod. Servers may infer it from the endpoint. Cannot be updated.'] as const;

export const commonFields = { apiVersion: [...apiVersion] as [string, string], kind: [...kind] as [string, string] };

export const metaTypes = definePackage('io.k8s.apimachinery.pkg.apis.meta.v1', '', 'v1', {
  ObjectMeta: {
    description: 'Metadata that every persisted object has: its name, namespace, labels, annotations and bookkeeping the server maintains.',
    fields: {
      name: ['string', 'Name of the object, unique within its namespace and kind. Required on create unless generateName is set. Cannot be updated.'],
      generateName: ['string', 'A prefix the server uses to generate a unique name when name is empty: the prefix followed by random characters.'],
      namespace: ['string', 'The namespace that scopes the name. Empty for cluster-scoped kinds such as Node and Namespace. Cannot be updated.'],
      uid: ['string', 'A unique identifier the server sets on create; it distinguishes objects that had the same name at different times. Read-only.'],
      resourceVersion: ['string', 'An opaque version that changes on every write. Clients send it back for optimistic concurrency and to resume watches. Read-only.'],
      generation: ['int64', 'A sequence number of the desired state, which the server increments on every spec change. Read-only.'],
      creationTimestamp: ['Time', 'When the server created the object, in RFC 3339 form at second precision. Read-only.'],
      deletionTimestamp: ['Time', 'When the object will be deleted. Set by the server when a graceful deletion is requested; the object stays visible until its finalizers are gone. Read-only.'],
      deletionGracePeriodSeconds: ['int64', 'Seconds the object is allowed to terminate gracefully before it is removed. Set with deletionTimestamp. Read-only.'],
      labels: ['{}string', 'Key-value pairs that organize and select objects, matched by label selectors of controllers and services.'],
      annotations: ['{}string', 'Key-value pairs of arbitrary, non-identifying metadata that tools store on the object; they are not queryable.'],
      ownerReferences: ['[]OwnerReference', 'Objects this object depends on. When every owner is deleted, the garbage collector deletes this object. At most one owner may be a controller.', mergedBy('uid')],
      finalizers: ['[]string', 'Names of steps that must finish before the object is removed. A deleted object with finalizers keeps a deletionTimestamp until the list is empty.', { patchStrategy: 'merge', listType: 'set' }],
      managedFields: ['[]ManagedFieldsEntry', 'Which field manager owns which fields, used by server-side apply. Clients normally do not set it.', { listType: 'atomic' }],
    },
  },
  ListMeta: {
    description: 'Metadata of a list response.',
    fields: {
      resourceVersion: ['string', 'The version of the collection at the time of the list; a watch may start from it.'],
      continue: ['string', 'A token to fetch the next page when the list was limited; empty on the last page.'],
      remainingItemCount: ['int64', 'The number of items after this page, when the server knows it.'],
      selfLink: ['string', 'Deprecated and always empty.'],
    },
  },
  OwnerReference: {
    description: 'A reference to an owner object in the same namespace.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    atomic: true,
    fields: {
      apiVersion: ['string', 'API version of the owner.'],
      kind: ['string', 'Kind of the owner.'],
      name: ['string', 'Name of the owner.'],
      uid: ['string', 'UID of the owner.'],
      controller: ['boolean', 'True when the owner is the managing controller of this object.'],
      blockOwnerDeletion: ['boolean', 'When true and the owner is deleted in the foreground, the owner is removed only after this object.'],
    },
  },
  ManagedFieldsEntry: {
    description: 'The set of fields that one field manager owns, from one operation.',
    fields: {
      manager: ['string', 'Name of the workflow that manages these fields, such as kubectl or a controller.'],
      operation: ['string', 'Apply or Update: the kind of request that set these fields.', { enum: ['Apply', 'Update'] }],
      apiVersion: ['string', 'The API version the field set refers to.'],
      time: ['Time', 'When an operation last added fields to this entry.'],
      fieldsType: ['string', 'The format of fieldsV1; only FieldsV1 exists.'],
      fieldsV1: ['object', 'The field set, as a tree of f:, k:, v: and i: path elements.'],
      subresource: ['string', 'The subresource the operation went through, such as status; empty for the main resource.'],
    },
  },
  LabelSelector: {
    description: 'A label query over a set of objects. The requirements of matchLabels and matchExpressions are ANDed. An empty selector matches every object; an absent one matches none.',
    atomic: true,
    fields: {
      matchLabels: ['{}string', 'Labels that must all be present with these values; each pair is a matchExpressions entry with operator In and one value.'],
      matchExpressions: ['[]LabelSelectorRequirement', 'Requirements that must all hold.', { listType: 'atomic' }],
    },
  },
  LabelSelectorRequirement: {
    description: 'A selector requirement: a key, an operator and values.',
    required: ['key', 'operator'],
    fields: {
      key: ['string', 'The label key the requirement applies to.'],
      operator: ['string', 'How the key relates to the values: In, NotIn, Exists or DoesNotExist.'],
      values: ['[]string', 'Values for In and NotIn, which need at least one; empty for Exists and DoesNotExist.', { listType: 'atomic' }],
    },
  },
  Status: {
    description: 'The result of an operation that returns no object, such as an error.',
    kind: 'Status',
    fields: {
      ...commonFields,
      metadata: ['ListMeta', 'Standard list metadata.'],
      status: ['string', 'Success or Failure.'],
      message: ['string', 'A human-readable description of the result.'],
      reason: ['string', 'A machine-readable reason, such as NotFound or Invalid; empty when none is known.'],
      details: ['StatusDetails', 'Extra data about the reason.'],
      code: ['integer', 'The HTTP status code of this status.'],
    },
  },
  StatusDetails: {
    description: 'Details of a Status: the object concerned and the causes.',
    fields: {
      name: ['string', 'Name of the object concerned.'],
      group: ['string', 'API group of the object concerned.'],
      kind: ['string', 'Kind or resource of the object concerned.'],
      uid: ['string', 'UID of the object concerned.'],
      causes: ['[]StatusCause', 'The individual causes, such as each invalid field.', { listType: 'atomic' }],
      retryAfterSeconds: ['integer', 'Seconds the client should wait before retrying.'],
    },
  },
  StatusCause: {
    description: 'One cause of an error, often one invalid field.',
    fields: {
      reason: ['string', 'A machine-readable cause, such as FieldValueRequired.'],
      message: ['string', 'A human-readable description of the cause.'],
      field: ['string', 'The field path of the cause, such as spec.containers[0].image.'],
    },
  },
  DeleteOptions: {
    description: 'Options of a delete request.',
    kind: 'DeleteOptions',
    fields: {
      ...commonFields,
      gracePeriodSeconds: ['int64', 'Seconds before the object is deleted; zero deletes at once. The kind\'s default applies when unset.'],
      preconditions: ['Preconditions', 'Conditions the object must meet for the delete to proceed.'],
      propagationPolicy: ['string', 'How dependents are garbage-collected: Orphan, Background or Foreground.'],
      orphanDependents: ['boolean', 'Deprecated: use propagationPolicy Orphan.'],
      dryRun: ['[]string', 'All runs every stage of the request but persists nothing.', { listType: 'atomic' }],
    },
  },
  Preconditions: {
    description: 'Conditions a delete requires of the object.',
    fields: {
      uid: ['string', 'The object must have this UID.'],
      resourceVersion: ['string', 'The object must have this resourceVersion.'],
    },
  },
});
