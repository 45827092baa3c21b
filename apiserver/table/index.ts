// meta.k8s.io/v1 Table output, which kubectl requests with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints as the
// columns of `kubectl get`.

import type { ResourceType } from '../../api/resources.js';
import type { KubeObject, ListMeta } from '../../api/types.js';
import { printerFor, type Cell, type TableColumnDefinition } from './columns.js';

export type { TableColumnDefinition } from './columns.js';
export { humanDuration } from './duration.js';
export { summarizePod } from './pod-status.js';

export interface TableRow {
  cells: Cell[];
  conditions?: { type: string; status: string }[];
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

function rowObject(object: KubeObject, includeObject: TableOptions['includeObject']): unknown {
  switch (includeObject ?? 'Metadata') {
    case 'None':
      return undefined;
    case 'Object':
      return object;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
  }
}

/** Converts objects to a meta.k8s.io/v1 Table with the columns kube-apiserver prints for the kind. */
export function convertToTable(type: ResourceType, objects: readonly KubeObject[], options: TableOptions = {}): Table {
  const printer = printerFor(type.group, type.kind);
  const now = options.now ?? new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: options.noHeaders ? [] : printer.columns,
    rows: objects.map((object) => {
      const row: TableRow = { cells: printer.cells(object, now) };
      const conditions = printer.conditions?.(object);
      if (conditions) row.conditions = conditions;
      const included = rowObject(object, options.includeObject);
      if (included !== undefined) row.object = included;
      return row;
    }),
  };
}
