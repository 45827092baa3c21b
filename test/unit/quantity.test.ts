import test from 'ava';
import { formatBytes, isValidQuantity, parseBytes, parseMillicores, parseQuantity } from '../../api/quantity.js';

const valid: [string, number][] = [
  ['1', 1], ['500m', 0.5], ['1.5', 1.5], ['128Mi', 128 * 2 ** 20], ['1Gi', 2 ** 30], ['1k', 1000],
  ['2M', 2e6], ['1e3', 1000], ['.5', 0.5], ['100n', 1e-7],
];

for (const [text, expected] of valid) {
  test(`quantity ${text} parses`, (t) => {
    t.true(isValidQuantity(text));
    t.is(parseQuantity(text), expected);
  });
}

for (const text of ['', 'abc', '1Mb', '--1', '1 Gi', '1.2.3']) {
  test(`quantity "${text}" is invalid`, (t) => {
    t.false(isValidQuantity(text));
    t.throws(() => parseQuantity(text));
  });
}

test('cpu in millicores', (t) => {
  t.is(parseMillicores('250m'), 250);
  t.is(parseMillicores('2'), 2000);
  t.is(parseMillicores('0.1'), 100);
});

test('bytes round trip', (t) => {
  t.is(parseBytes('125Mi'), 131072000);
  t.is(formatBytes(131072000), '125Mi');
});
