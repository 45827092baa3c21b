// Controller ownerReferences: who controls an object, and how a controller
// claims the objects its selector matches. Claiming follows upstream's
// ControllerRefManager: an orphan that matches is adopted, an owned object
// that stops matching is released, and objects controlled by someone else are
// left alone.

import type { ReadonlyDeep } from '../../api/informer.js';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { apiVersionOf, type ResourceType } from '../../api/resources.js';
import type { KubeObject, LabelSelector, OwnerReference } from '../../api/types.js';

type Meta = ReadonlyDeep<KubeObject>['metadata'];

/** Returns the ownerReference with controller=true, if any. */
export function controllerRefOf(metadata: Meta): ReadonlyDeep<OwnerReference> | undefined {
  return metadata.ownerReferences?.find((reference) => reference.controller === true);
}

/** Builds the controller ownerReference that a controller sets on what it creates or adopts. */
export function newControllerRef(type: ResourceType, owner: { metadata: Meta }): OwnerReference {
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Returns the identity an event or log needs, with kind and apiVersion filled from the resource type. */
export function identityOf(type: ResourceType, object: { metadata: Meta }): { apiVersion: string; kind: string; metadata: Meta } {
  return { apiVersion: apiVersionOf(type), kind: type.kind, metadata: object.metadata };
}

export type ClaimDecision = 'keep' | 'adopt' | 'release' | 'ignore';

/**
 * Decides what the controller `owner` does with a candidate object.
 * Deleted candidates are never adopted, and a deleting owner neither adopts
 * nor releases, as upstream.
 */
export function claimDecision(owner: { metadata: Meta }, selector: Selector, candidate: { metadata: Meta }): ClaimDecision {
  const controllerRef = controllerRefOf(candidate.metadata);
  const matches = selector.matches(candidate.metadata.labels);
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;

  if (controllerRef) {
    if (controllerRef.uid !== owner.metadata.uid) return 'ignore';
    if (matches) return 'keep';
    return ownerDeleting ? 'keep' : 'release';
  }

  if (!matches || ownerDeleting || candidate.metadata.deletionTimestamp !== undefined) return 'ignore';
  return 'adopt';
}

/** Sets ref as the controller ownerReference of object, in place. */
export function setControllerRef(object: KubeObject, ref: OwnerReference): void {
  const others = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== ref.uid);
  object.metadata.ownerReferences = [...others, ref];
}

/** Removes the ownerReference to ownerUid from object, in place. */
export function removeOwnerRef(object: KubeObject, ownerUid: string): void {
  object.metadata.ownerReferences = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== ownerUid);
}

/** Compiles a cached (read-only) label selector. */
export function selectorOf(selector: ReadonlyDeep<LabelSelector> | undefined): Selector {
  // selectorFromLabelSelector only reads its argument, so the read-only cache copy can be passed as is.
  return selectorFromLabelSelector(selector as LabelSelector | undefined);
}
