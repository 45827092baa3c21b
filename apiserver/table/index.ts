import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, ListMeta } from '../../api/types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** As the `includeObject` query parameter: Metadata by default. */
  includeObject?: 'None' | 'Metadata' | 'Object';
  listMeta?: ListMeta;
  /** Leaves columnDefinitions empty, as kube-apiserver does for watch events after the first. */
  noHeaders?: boolean;
  now?: Date;
}

// TODO: placeholder with only NAME and AGE; per-kind columns are not written yet.
/** Converts objects to a meta.k8s.io/v1 Table with the columns kube-apiserver prints for the kind. */
export function convertToTable(_type: ResourceType, objects: readonly KubeObject[], options: TableOptions = {}): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: options.noHeaders ? [] : [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
    ],
    rows: objects.map((object) => ({
      cells: [object.metadata.name],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}
