import test from 'ava';
import { parseSelector, selectorFromLabelSelector, SelectorError } from '../../api/labels.js';

const cases: [string, Record<string, string>, boolean][] = [
  ['app=web', { app: 'web' }, true],
  ['app=web', { app: 'db' }, false],
  ['app==web', { app: 'web' }, true],
  ['app!=web', {}, true],
  ['app!=web', { app: 'web' }, false],
  ['app', { app: '' }, true],
  ['!app', { app: 'web' }, false],
  ['!app', {}, true],
  ['env in (prod, staging)', { env: 'staging' }, true],
  ['env notin (prod,staging)', { env: 'staging' }, false],
  ['app=web,tier=front', { app: 'web', tier: 'front' }, true],
  ['app=web,tier=front', { app: 'web' }, false],
  ['', { anything: 'x' }, true],
];

for (const [text, labels, expected] of cases) {
  test(`selector "${text}" on ${JSON.stringify(labels)}`, (t) => {
    t.is(parseSelector(text).matches(labels), expected);
  });
}

test('selector syntax errors throw', (t) => {
  t.throws(() => parseSelector('app in web'), { instanceOf: SelectorError });
  t.throws(() => parseSelector('app=web tier=db'), { instanceOf: SelectorError });
});

test('structured selector combines labels and expressions', (t) => {
  const selector = selectorFromLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [{ key: 'tier', operator: 'Exists' }],
  });
  t.true(selector.matches({ app: 'web', tier: 'x' }));
  t.false(selector.matches({ app: 'web' }));
});
