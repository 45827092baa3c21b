// The part of a pod the scheduler caches. Every pod in the cluster is cached,
// so dropping managedFields, annotations and the container fields that
// scheduling never reads keeps the cache small on large clusters.

import type { KubeObject, Pod } from '../api/types.js';

type Containers = Pod['spec']['containers'];

/** Keeps the container fields that filters read: requests and host ports. */
function slimContainers(containers: Containers | undefined): Containers | undefined {
  return containers?.map(({ name, resources, ports }) => ({ name, resources, ports }));
}

export function slimPod(object: KubeObject): KubeObject {
  const { metadata, spec, status } = object as Pod;
  const slim: Pod = {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      creationTimestamp: metadata.creationTimestamp,
      deletionTimestamp: metadata.deletionTimestamp,
      labels: metadata.labels,
      ownerReferences: metadata.ownerReferences,
    },
    spec: { ...spec, containers: slimContainers(spec.containers) ?? [], initContainers: slimContainers(spec.initContainers) },
    status: {
      phase: status?.phase,
      conditions: status?.conditions?.filter((condition) => condition.type === 'PodScheduled'),
    },
  };
  return slim;
}
