// HTTP/1.1 response framing: each way a body can end, split at every byte.

import test from 'ava';
import { HttpProtocolError, ResponseParser, type HttpResponse } from '../../api/http1-parser.js';

/** Feeds text to a new parser in pieces of the given size and returns the response, if it completed. */
function parse(text: string, pieceSize = text.length, method = 'GET'): HttpResponse | undefined {
  const parser = new ResponseParser(method);
  const bytes = Buffer.from(text, 'latin1');
  for (let offset = 0; offset < bytes.length; offset += pieceSize) {
    const response = parser.push(bytes.subarray(offset, offset + pieceSize));
    if (response !== undefined) return response;
  }
  return parser.end();
}

const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n';

test('content-length body', (t) => {
  const response = parse('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}');
  t.is(response?.statusCode, 201);
  t.is(response?.headers['content-type'], 'application/json');
  t.is(response?.body.toString(), '{"a":1}');
  t.false(response?.close);
});

test('every split point gives the same response', (t) => {
  const texts = [chunked, 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world'];
  for (const text of texts) {
    for (const size of [1, 2, 3, 7, 16]) {
      t.is(parse(text, size)?.body.toString(), text === chunked ? 'hello, world' : 'hello world', `pieces of ${size}`);
    }
  }
});

test('chunked body with extensions and trailers', (t) => {
  const response = parse(chunked);
  t.is(response?.body.toString(), 'hello, world');
  t.false(response?.close);
});

test('body delimited by the connection end', (t) => {
  const parser = new ResponseParser('GET');
  t.is(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\npart one, ')), undefined);
  t.is(parser.push(Buffer.from('part two')), undefined);
  const response = parser.end();
  t.is(response?.body.toString(), 'part one, part two');
  t.true(response?.close);
});

test('responses without a body', (t) => {
  t.is(parse('HTTP/1.1 204 No Content\r\n\r\n')?.body.length, 0);
  t.is(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n')?.body.length, 0);
  t.is(parse('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', undefined, 'HEAD')?.body.length, 0);
  t.is(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')?.body.length, 0);
});

test('interim 100 Continue is skipped', (t) => {
  const response = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 5);
  t.is(response?.statusCode, 200);
  t.is(response?.body.toString(), 'ok');
});

test('connection close and HTTP/1.0', (t) => {
  t.true(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')?.close);
  t.true(parse('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')?.close);
  t.false(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok')?.close);
});

test('bytes past the response are left over', (t) => {
  const parser = new ResponseParser('GET');
  const response = parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'));
  t.is(response?.body.toString(), 'ok');
  t.is(parser.leftover, 5);
});

test('malformed responses raise protocol errors', (t) => {
  const cases: [string, RegExp][] = [
    ['SPDY/3 200 OK\r\n\r\n', /malformed status line/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok', /malformed header name "content-length "/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk data longer than its size/],
    [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}`, /response headers exceed/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => parse(text), { instanceOf: HttpProtocolError });
    t.regex(error?.message ?? '', message);
  }
});

test('conflicting Content-Length is rejected', (t) => {
  const error = t.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nokAB'), { instanceOf: HttpProtocolError });
  t.regex(error?.message ?? '', /invalid Content-Length "2, 4"/);
});

test('close option in a Connection list', (t) => {
  t.true(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok')?.close);
  t.true(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: x-other\r\nContent-Length: 2\r\n\r\nok')?.close);
  t.false(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive, x-other\r\nContent-Length: 2\r\n\r\nok')?.close);
});
