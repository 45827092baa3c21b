// Log lines: how errors and their causes are written.

import test from 'ava';
import { createLogger, setLogSink } from '../../api/log.js';

test('error causes appear once', (t) => {
  const lines: string[] = [];
  setLogSink((line) => lines.push(line));
  t.teardown(() => setLogSink((line) => process.stderr.write(line + '\n')));
  const logger = createLogger('test');
  const refused = new Error('connect ECONNREFUSED 127.0.0.1:6443');
  logger.warn('Request failed', { err: new Error(`GET http://127.0.0.1:6443/api: ${refused.message}`, { cause: refused }) });
  logger.warn('Request failed', { err: new Error('register hollow node n1', { cause: refused }) });
  t.regex(lines[0], /err="GET http:\/\/127\.0\.0\.1:6443\/api: connect ECONNREFUSED 127\.0\.0\.1:6443"\n?$/);
  t.regex(lines[1], /err="register hollow node n1: connect ECONNREFUSED 127\.0\.0\.1:6443"\n?$/);
});
