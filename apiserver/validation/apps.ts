// Validation of apps/v1 ReplicaSets and Deployments: selectors that match
// their templates, replica counts and rolling update bounds.

import { selectorFromLabelSelector } from '../../api/labels.js';
import type { LabelSelector, StatusCause } from '../../api/types.js';
import { child, forbidden, formatValue, invalid, isInteger, isObject, notSupported, required } from './causes.js';
import { validateLabelSelector, validateLabels, validateAnnotations } from './meta.js';
import { validatePodSpec } from './pod.js';

type Json = Record<string, unknown>;

function validateNonNegative(value: unknown, path: string): StatusCause[] {
  if (value === undefined) return [];
  if (!isInteger(value) || value < 0) return [invalid(path, value, 'must be greater than or equal to 0')];
  return [];
}

/** Validates the selector and the template that it must select, for the kind named in messages. */
function validateSelectorAndTemplate(spec: Json, kindWord: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    causes.push(required('spec.selector'));
  } else if (!isObject(selector)) {
    causes.push(invalid('spec.selector', selector, 'must be a label selector'));
  } else {
    causes.push(...validateLabelSelector(selector as LabelSelector, 'spec.selector'));
    const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0) === 0;
    if (empty) causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${formatSelector(selector)}: empty selector is invalid for ${kindWord}` });
  }

  const template = spec.template;
  if (!isObject(template)) {
    causes.push(required('spec.template'));
    return causes;
  }
  const metadata = isObject(template.metadata) ? template.metadata : {};
  causes.push(...validateLabels(metadata.labels, 'spec.template.metadata.labels'));
  causes.push(...validateAnnotations(metadata.annotations, 'spec.template.metadata.annotations'));
  if (causes.length === 0 && isObject(selector)) {
    const labels = isObject(metadata.labels) ? metadata.labels as Record<string, string> : {};
    if (!selectorFromLabelSelector(selector as LabelSelector).matches(labels)) {
      const shown = isObject(metadata.labels) ? formatValue(labels) : 'map[string]string(nil)';
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${shown}: \`selector\` does not match template \`labels\`` });
    }
  }
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  if (isObject(template.spec) && template.spec.restartPolicy !== undefined && template.spec.restartPolicy !== 'Always') {
    causes.push(notSupported('spec.template.spec.restartPolicy', template.spec.restartPolicy, ['Always']));
  }
  if (isObject(template.spec) && template.spec.activeDeadlineSeconds !== undefined) {
    causes.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return causes;
}

export function validateReplicaSetSpec(spec: unknown): StatusCause[] {
  if (!isObject(spec)) return [required('spec')];
  return [
    ...validateNonNegative(spec.replicas, 'spec.replicas'),
    ...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateSelectorAndTemplate(spec, 'replicaset'),
  ];
}

interface IntOrPercent { value: number; percent: boolean }

function parseIntOrPercent(value: unknown): IntOrPercent | undefined {
  if (isInteger(value)) return { value, percent: false };
  if (typeof value === 'string' && /^\d+%$/.test(value)) return { value: Number(value.slice(0, -1)), percent: true };
  return undefined;
}

function validateRollingUpdate(rollingUpdate: Json, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const parsed: Record<string, IntOrPercent | undefined> = {};
  for (const field of ['maxUnavailable', 'maxSurge']) {
    const value = rollingUpdate[field];
    if (value === undefined) continue;
    const at = child(path, field);
    const bound = parseIntOrPercent(value);
    if (!bound) {
      causes.push(invalid(at, value, typeof value === 'string' ? 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')' : 'must be greater than or equal to 0'));
      continue;
    }
    parsed[field] = bound;
    if (field === 'maxUnavailable' && bound.percent && bound.value > 100) causes.push(invalid(at, value, 'must not be greater than 100%'));
  }
  const unavailable = parsed.maxUnavailable;
  const surge = parsed.maxSurge;
  if (unavailable?.value === 0 && surge?.value === 0) {
    causes.push(invalid(child(path, 'maxUnavailable'), rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  return causes;
}

function validateStrategy(strategy: unknown): StatusCause[] {
  if (strategy === undefined) return [];
  if (!isObject(strategy)) return [invalid('spec.strategy', strategy, 'must be an object')];
  const types = ['Recreate', 'RollingUpdate'];
  if (strategy.type === undefined) return [required('spec.strategy.type')];
  if (!types.includes(String(strategy.type))) return [notSupported('spec.strategy.type', strategy.type, types)];
  if (strategy.type === 'Recreate') {
    return strategy.rollingUpdate === undefined || strategy.rollingUpdate === null ? []
      : [forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\'')];
  }
  return isObject(strategy.rollingUpdate) ? validateRollingUpdate(strategy.rollingUpdate, 'spec.strategy.rollingUpdate') : [];
}

export function validateDeploymentSpec(spec: unknown): StatusCause[] {
  if (!isObject(spec)) return [required('spec')];
  const causes = [
    ...validateNonNegative(spec.replicas, 'spec.replicas'),
    ...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...validateStrategy(spec.strategy),
  ];
  if (spec.progressDeadlineSeconds !== undefined) {
    causes.push(...validateNonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (isInteger(spec.progressDeadlineSeconds) && isInteger(spec.minReadySeconds) && spec.progressDeadlineSeconds <= spec.minReadySeconds) {
      causes.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return causes;
}

/** Formats a selector as Go's %#v prints a v1.LabelSelector in kube-apiserver's immutability message. */
function formatSelector(selector: unknown): string {
  if (!isObject(selector)) return formatValue(selector);
  const labels = isObject(selector.matchLabels) ? formatValue(selector.matchLabels) : 'map[string]string(nil)';
  const expressions = Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0
    ? `[]v1.LabelSelectorRequirement${JSON.stringify(selector.matchExpressions)}` : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`;
}

/** Rejects a changed apps/v1 selector, which would orphan the pods it selected. */
export function validateSelectorUpdate(spec: unknown, oldSpec: unknown): StatusCause[] {
  if (!isObject(spec) || !isObject(oldSpec)) return [];
  if (JSON.stringify(normalize(spec.selector)) === JSON.stringify(normalize(oldSpec.selector))) return [];
  return [{ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${formatSelector(spec.selector)}: field is immutable` }];
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize);
  if (!isObject(value)) return value;
  const entries = Object.keys(value).sort().map((key) => [key, normalize(value[key])] as const).filter(([, item]) => item !== undefined);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}
