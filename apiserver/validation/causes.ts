// Constructors of validation causes with the reasons and message forms of
// Kubernetes' field.Error, so kubectl prints them as users know them, such as
// `spec.containers[0].image: Required value`.

import type { StatusCause } from '../../api/types.js';

/** Formats a value as Go's %#v prints it in kube-apiserver messages: quoted strings, bare numbers, typed maps. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string')) {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${JSON.stringify((value as Record<string, string>)[key])}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

export const required = (field: string, detail = ''): StatusCause =>
  ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });

export const invalid = (field: string, value: unknown, detail: string): StatusCause =>
  ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${formatValue(value)}${detail ? `: ${detail}` : ''}` });

export const notSupported = (field: string, value: unknown, supported: readonly string[]): StatusCause => ({
  reason: 'FieldValueNotSupported', field,
  message: `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((item) => JSON.stringify(item)).join(', ')}`,
});

export const duplicate = (field: string, value: unknown): StatusCause =>
  ({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` });

export const forbidden = (field: string, detail: string): StatusCause =>
  ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });

export const notFound = (field: string, value: unknown): StatusCause =>
  ({ reason: 'FieldValueNotFound', field, message: `Not found: ${formatValue(value)}` });

export const tooLong = (field: string, maxBytes: number): StatusCause =>
  ({ reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${maxBytes} bytes` });

export const typeInvalid = (field: string, value: unknown, detail: string): StatusCause =>
  ({ reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` });

/** Joins field path segments: child('spec', 'containers') is spec.containers. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function index(path: string, position: number | string): string {
  return `${path}[${position}]`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
