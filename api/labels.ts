// Label selectors: the structured apps/v1 form and the string form of
// `?labelSelector=` and `kubectl -l`, both compiled to one matcher.

import type { LabelSelector } from './types.js';

export type Labels = Readonly<Record<string, string>> | undefined;

export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'Gt' | 'Lt';
  values: string[];
}

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  matches(labels: Labels): boolean;
  /** True when the selector selects everything. */
  readonly empty: boolean;
}

function matchesRequirement(requirement: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
    case 'Equals':
      return has && requirement.values.includes(value as string);
    case 'NotIn':
    case 'NotEquals':
      return !has || !requirement.values.includes(value as string);
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const bound = Number(requirement.values[0]);
      return requirement.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
    }
  }
}

function makeSelector(requirements: Requirement[]): Selector {
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((requirement) => matchesRequirement(requirement, labels)),
  };
}

export const everything: Selector = makeSelector([]);

/**
 * Compiles a structured selector. As in apps/v1, an empty selector matches
 * everything; callers that must reject an empty selector check for it first.
 */
export function selectorFromLabelSelector(selector: LabelSelector | undefined): Selector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: [value] });
  }
  for (const expression of selector?.matchExpressions ?? []) {
    requirements.push({ key: expression.key, operator: expression.operator, values: expression.values ?? [] });
  }
  return makeSelector(requirements);
}

/** Formats a structured selector as a query string selector, as `kubectl get -l` shows it. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = [...(expression.values ?? [])].sort().join(',');
    if (expression.operator === 'Exists') parts.push(expression.key);
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
    else parts.push(`${expression.key} ${expression.operator.toLowerCase()} (${values})`);
  }
  return parts.join(',');
}

const tokenPattern = /\s*(!=|==|=|!|\(|\)|,|[^\s!=(),]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  while (tokenPattern.lastIndex < text.length) {
    const start = tokenPattern.lastIndex;
    const match = tokenPattern.exec(text);
    if (!match) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new SelectorError(`unable to parse requirement: invalid character at position ${start} of "${text}"`);
    }
    tokens.push(match[1]);
  }
  return tokens;
}

/** Parses the string form, such as `app=web,tier!=db,env in (a,b),!legacy`. */
export function parseSelector(text: string | undefined): Selector {
  if (!text || text.trim() === '') return everything;
  const tokens = tokenize(text);
  const requirements: Requirement[] = [];
  let position = 0;
  const next = (): string | undefined => tokens[position++];
  const peek = (): string | undefined => tokens[position];

  while (position < tokens.length) {
    let token = next();
    if (token === '!') {
      const key = next();
      if (!key || isOperatorToken(key)) throw new SelectorError(`unable to parse requirement: missing key after '!' in "${text}"`);
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (token && !isOperatorToken(token)) {
      const key = token;
      const operator = peek();
      if (operator === undefined || operator === ',') {
        requirements.push({ key, operator: 'Exists', values: [] });
      } else if (operator === '=' || operator === '==' || operator === '!=') {
        next();
        const value = peek() === undefined || peek() === ',' ? '' : next();
        if (value === undefined || isOperatorToken(value)) throw new SelectorError(`unable to parse requirement: invalid value for "${key}" in "${text}"`);
        requirements.push({ key, operator: operator === '!=' ? 'NotEquals' : 'Equals', values: [value] });
      } else if (operator === 'in' || operator === 'notin') {
        next();
        if (next() !== '(') throw new SelectorError(`unable to parse requirement: expected '(' after "${key} ${operator}" in "${text}"`);
        const values: string[] = [];
        for (token = next(); token !== ')'; token = next()) {
          if (token === undefined) throw new SelectorError(`unable to parse requirement: missing ')' in "${text}"`);
          if (token !== ',') values.push(token);
        }
        requirements.push({ key, operator: operator === 'in' ? 'In' : 'NotIn', values });
      } else {
        throw new SelectorError(`unable to parse requirement: unexpected "${operator}" after "${key}" in "${text}"`);
      }
    } else {
      throw new SelectorError(`unable to parse requirement: unexpected "${token}" in "${text}"`);
    }
    const separator = next();
    if (separator !== undefined && separator !== ',') {
      throw new SelectorError(`unable to parse requirement: expected ',' but found "${separator}" in "${text}"`);
    }
  }
  return makeSelector(requirements);
}

function isOperatorToken(token: string): boolean {
  return ['=', '==', '!=', '!', '(', ')', ','].includes(token);
}
