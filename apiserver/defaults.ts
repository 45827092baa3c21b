import type { ResourceType } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';

// TODO: placeholder; defaulting per kind is not written yet.
/** Fills in the defaults kube-apiserver sets on create and update, in place. */
export function applyDefaults(_type: ResourceType, _object: KubeObject): void {}
