import test from 'ava';
import { BuildContext, globToRegExp } from '../../../runtime/image/build-context.js';
import { parseDockerfile } from '../../../runtime/image/dockerfile.js';
import { normaliseReference, parseReference } from '../../../runtime/image/reference.js';
import { expandWord, splitWords } from '../../../runtime/image/shell-words.js';
import { resolveUser } from '../../../runtime/image/user.js';
import { humanDuration, humanSize } from '../../../runtime/image/cli-format.js';
import { writeContext } from './helpers.js';

const references: [string, string][] = [
  ['lab-hello', 'lab-hello:latest'],
  ['lab-hello:1', 'lab-hello:1'],
  ['docker.io/library/busybox', 'busybox:latest'],
  ['index.docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['docker.io/someone/tool:v2', 'someone/tool:v2'],
  ['tinykube/base', 'tinykube/base:latest'],
  ['localhost:5000/app', 'localhost:5000/app:latest'],
  ['registry.example.com/team/app:v1.2-rc_3', 'registry.example.com/team/app:v1.2-rc_3'],
  ['my_app__x/a-b', 'my_app__x/a-b:latest'],
];

for (const [input, expected] of references) {
  test(`reference ${input} normalises to ${expected}`, (t) => {
    t.is(normaliseReference(input), expected);
  });
}

for (const input of ['', 'Upper', 'a:b:c', 'name:', 'name:-tag', 'a//b', '-a', 'a@sha256:xyz']) {
  test(`reference "${input}" is invalid`, (t) => {
    t.throws(() => parseReference(input), { message: /invalid image reference/ });
  });
}

test('reference with a digest keeps it', (t) => {
  const digest = `sha256:${'a'.repeat(64)}`;
  t.deepEqual(parseReference(`app@${digest}`), { repository: 'app', tag: 'latest', digest });
});

test('Dockerfile continuations, comments and flags', (t) => {
  const { instructions } = parseDockerfile([
    '# syntax=docker/dockerfile:1',
    'FROM scratch AS build',
    '',
    'RUN echo a \\',
    '  # dropped comment',
    '  && echo b',
    'copy --chown=1:2 --chmod=755 a b /dest/',
    'CMD ["/bin/sh", "-c", "echo hi"]',
    'ENTRYPOINT [not json',
  ].join('\n'));
  t.deepEqual(instructions.map((instruction) => instruction.keyword), ['FROM', 'RUN', 'COPY', 'CMD', 'ENTRYPOINT']);
  t.is(instructions[1]?.rest, 'echo a   && echo b');
  t.is(instructions[1]?.line, 4);
  t.deepEqual([...(instructions[2]?.flags ?? [])], [['chown', '1:2'], ['chmod', '755']]);
  t.is(instructions[2]?.rest, 'a b /dest/');
  t.deepEqual(instructions[3]?.json, ['/bin/sh', '-c', 'echo hi']);
  t.is(instructions[4]?.json, undefined);
});

test('Dockerfile escape directive', (t) => {
  const { escape, instructions } = parseDockerfile('# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo done\n');
  t.is(escape, '`');
  t.is(instructions[1]?.rest, 'dir c:\\   && echo done');
});

test('Dockerfile errors name the line', (t) => {
  t.throws(() => parseDockerfile('FROM scratch\nBOGUS x\n'), { message: /line 2: unknown instruction: BOGUS/ });
  t.throws(() => parseDockerfile('RUN echo\n'), { message: /must be FROM/ });
  t.throws(() => parseDockerfile('# only a comment\n'), { message: /no instructions/ });
});

test('shell words split, unquote and substitute', (t) => {
  const variables = new Map([['A', 'one'], ['EMPTY', '']]);
  t.deepEqual(splitWords(`a="x y" 'b $A' c=$A d=\${A} e=\${EMPTY:-def} f=\${A:+alt} g=\\$A`, variables),
    ['a=x y', 'b $A', 'c=one', 'd=one', 'e=def', 'f=alt', 'g=$A']);
  t.is(expandWord('"$A two" three', variables), 'one two three');
  t.throws(() => splitWords('"open', variables), { message: /unterminated quote/ });
});

test('glob patterns follow filepath.Match', (t) => {
  t.true(globToRegExp('*.conf').test('a.conf'));
  t.false(globToRegExp('*.conf').test('dir/a.conf'));
  t.true(globToRegExp('file?.txt').test('file1.txt'));
  t.true(globToRegExp('[a-c]*').test('beta'));
  t.false(globToRegExp('[!a-c]*').test('beta'));
  t.true(globToRegExp('**/*.log', true).test('x/y/z.log'));
  t.true(globToRegExp('**/*.log', true).test('z.log'));
});

test('users resolve through passwd and group', (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nstaff:x:50:\n';
  t.deepEqual(resolveUser('app', passwd, group), { uid: 1000, gid: 1001 });
  t.deepEqual(resolveUser('app:staff', passwd, group), { uid: 1000, gid: 50 });
  t.deepEqual(resolveUser('4242', passwd, group), { uid: 4242, gid: 0 });
  t.deepEqual(resolveUser('4242:7', undefined, undefined), { uid: 4242, gid: 7 });
  t.throws(() => resolveUser('ghost', passwd, group), { message: /no user "ghost"/ });
  t.throws(() => resolveUser('app:ghosts', passwd, group), { message: /no group "ghosts"/ });
});

test('sizes and ages read like docker', (t) => {
  t.is(humanSize(0), '0B');
  t.is(humanSize(999), '999B');
  t.is(humanSize(75_465_318), '75.5MB');
  t.is(humanSize(1_234), '1.23kB');
  t.is(humanDuration(500), 'Less than a second');
  t.is(humanDuration(45_000), '45 seconds');
  t.is(humanDuration(60_000), 'About a minute');
  t.is(humanDuration(5 * 60_000), '5 minutes');
  t.is(humanDuration(3 * 24 * 3600_000), '3 days');
});

test('dockerignore excludes with exceptions', async (t) => {
  const dir = await writeContext(t, {
    '.dockerignore': '# comment\n*.log\n!keep.log\nbuild\n**/*.tmp\n',
    'a.log': '', 'keep.log': '', 'build/out.bin': '', 'src/x.tmp': '', 'src/main.c': '', 'Dockerfile': '',
  });
  const context = await BuildContext.open(dir);
  t.deepEqual(await context.walk(), ['.dockerignore', 'Dockerfile', 'keep.log', 'src', 'src/main.c']);
  await t.throwsAsync(context.expandSource('a.log'), { message: /excluded by \.dockerignore: a\.log/ });
  t.deepEqual(await context.expandSource('*.log'), ['keep.log']);
  t.deepEqual(await context.expandSource('/src/../keep.log'), ['keep.log']);
});
