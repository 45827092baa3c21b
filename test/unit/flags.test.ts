// parseFlags: the parseArgs behaviour that every subcommand relies on, plus
// the pflag forms `--flag=true|false` and negative numbers as string values.

import test from 'ava';
import { parseFlags, UsageError, type FlagSpec } from '../../api/flags.js';
import { startCommand } from '../helpers/command.js';

const flags = {
  verbose: { type: 'boolean', help: 'Log more', short: 'v' },
  'leader-elect': { type: 'boolean', help: 'Run only while leading', default: false },
  watch: { type: 'boolean', help: 'Keep watching', default: true },
  count: { type: 'string', help: 'Number of things', short: 'c' },
  name: { type: 'string', help: 'Name of the thing', default: 'thing' },
  tag: { type: 'string', help: 'Tag, repeatable', multiple: true },
} satisfies Record<string, FlagSpec>;

function parse(argv: string[]) {
  const parsed = parseFlags(argv, 'tinykube test [FLAGS]', flags);
  if (!parsed) throw new Error('parseFlags returned undefined without --help');
  return parsed;
}

test('bare boolean flag is true', (t) => {
  t.true(parse(['--leader-elect']).values['leader-elect']);
});

for (const text of ['true', 'TRUE', 'True', 't', 'T', '1']) {
  test(`--leader-elect=${text} is true`, (t) => {
    t.true(parse([`--leader-elect=${text}`]).values['leader-elect']);
  });
}

for (const text of ['false', 'FALSE', 'False', 'f', 'F', '0']) {
  test(`--watch=${text} is false`, (t) => {
    t.false(parse([`--watch=${text}`]).values.watch);
  });
}

for (const text of ['maybe', '', 'yes', 'tRuE', '2']) {
  test(`--leader-elect="${text}" is rejected`, (t) => {
    const error = t.throws(() => parse([`--leader-elect=${text}`]), { instanceOf: UsageError });
    t.true(error?.message.startsWith(`invalid --leader-elect "${text}": expected true or false`), error?.message);
    t.regex(error?.message ?? '', /1\/0, t\/f, T\/F, TRUE\/FALSE, True\/False/);
  });
}

test('last boolean value wins', (t) => {
  t.false(parse(['--leader-elect', '--leader-elect=false']).values['leader-elect']);
  t.true(parse(['--leader-elect=false', '--leader-elect']).values['leader-elect']);
  t.true(parse(['--verbose=false', '-v']).values.verbose);
  t.false(parse(['-v', '--verbose=0']).values.verbose);
});

test('boolean values keep other flags intact', (t) => {
  const { values, positionals } = parse(['pos', '--watch=false', '--name', 'web', '--leader-elect=true', 'last']);
  t.false(values.watch);
  t.true(values['leader-elect']);
  t.is(values.name, 'web');
  t.deepEqual(positionals, ['pos', 'last']);
});

test('multiple boolean flag keeps each value', (t) => {
  const parsed = parseFlags(['--debug', '--debug=false', '--debug=1'], 'tinykube test', {
    debug: { type: 'boolean', help: 'Debug', multiple: true },
  });
  t.deepEqual(parsed?.values.debug as unknown, [true, false, true]);
});

test('short boolean flag parses', (t) => {
  t.true(parse(['-v']).values.verbose);
});

test('short group with string flag last', (t) => {
  const { values } = parse(['-vc', '-3']);
  t.true(values.verbose);
  t.is(values.count, '-3');
});

for (const text of ['-3', '-1', '-1.5', '-.5', '-0']) {
  test(`string flag takes negative number ${text}`, (t) => {
    t.is(parse(['--count', text]).values.count, text);
    t.is(parse(['-c', text]).values.count, text);
    t.is(parse([`--count=${text}`]).values.count, text);
  });
}

test('negative number value keeps positionals', (t) => {
  const { values, positionals } = parse(['a', '--count', '-3', 'b']);
  t.is(values.count, '-3');
  t.deepEqual(positionals, ['a', 'b']);
});

test('multiple string flag takes negative numbers', (t) => {
  t.deepEqual(parse(['--tag', '-1', '--tag', 'x', '--tag=-2']).values.tag as unknown, ['-1', 'x', '-2']);
});

for (const value of ['-x', '--verbose', '-3x', '--3', '-1-2']) {
  test(`string flag followed by ${value} is ambiguous`, (t) => {
    const error = t.throws(() => parse(['--count', value]), { instanceOf: UsageError });
    t.regex(error?.message ?? '', /argument is ambiguous/);
  });
}

test('lone negative number is unknown', (t) => {
  const error = t.throws(() => parse(['-3']), { instanceOf: UsageError });
  t.regex(error?.message ?? '', /Unknown option '-3'/);
});

test('string flag with = or space', (t) => {
  t.is(parse(['--name=web']).values.name, 'web');
  t.is(parse(['--name', 'web']).values.name, 'web');
  t.is(parse(['--name=a=b']).values.name, 'a=b');
  t.is(parse(['--name=']).values.name, '');
});

test('string value shaped like a flag', (t) => {
  t.is(parse(['--name', 'true']).values.name, 'true');
  t.is(parse(['--name=--watch=false']).values.name, '--watch=false');
});

test('arguments after -- are positionals', (t) => {
  const { values, positionals } = parse(['--', '--leader-elect=maybe', '--count', '-3']);
  t.false(values['leader-elect']);
  t.is(values.count as string | undefined, undefined);
  t.deepEqual(positionals, ['--leader-elect=maybe', '--count', '-3']);
});

for (const argv of [['--nope'], ['--nope=true'], ['--nope', 'value'], ['-z']]) {
  test(`unknown flag ${argv.join(' ')} is rejected`, (t) => {
    const error = t.throws(() => parse(argv), { instanceOf: UsageError });
    t.regex(error?.message ?? '', /Unknown option/);
    t.regex(error?.message ?? '', /Usage: tinykube test/);
  });
}

test('string flag without value is rejected', (t) => {
  t.throws(() => parse(['--count']), { instanceOf: UsageError, message: /argument missing/ });
});

test('defaults apply when flags are absent', (t) => {
  const { values } = parse([]);
  t.false(values['leader-elect']);
  t.true(values.watch);
  t.is(values.name, 'thing');
  t.is(values.count as string | undefined, undefined);
  t.is(values.verbose as boolean | undefined, undefined);
});

test('help prints and returns undefined', (t) => {
  const log = console.log;
  let printed = '';
  console.log = (text: string) => {
    printed += text;
  };
  try {
    t.is(parseFlags(['--watch=maybe', '--help'], 'tinykube test', flags), undefined);
    t.is(parseFlags(['-h'], 'tinykube test', flags), undefined);
  } finally {
    console.log = log;
  }
  t.regex(printed, /--leader-elect\n/);
});

test('hollow-nodes reports missing --count', async (t) => {
  const command = startCommand(t, ['hollow-nodes', '--kubeconfig', '/nonexistent']);
  t.not(await command.exited, 0);
  t.regex(command.stderr(), /tinykube hollow-nodes: missing --count\n/);
});

test('hollow-nodes rejects a negative --count', async (t) => {
  const command = startCommand(t, ['hollow-nodes', '--kubeconfig', '/nonexistent', '--count', '-3']);
  t.is(await command.exited, 1);
  t.regex(command.stderr(), /invalid --count "-3": expected a positive integer/);
});

test('scheduler rejects an invalid --leader-elect', async (t) => {
  const command = startCommand(t, ['scheduler', '--kubeconfig', '/nonexistent', '--leader-elect=maybe']);
  t.is(await command.exited, 2);
  t.regex(command.stderr(), /invalid --leader-elect "maybe": expected true or false/);
});
