// Parses HTTP/1.1 responses from a byte stream: the status line, the headers
// that frame the body, and a body delimited by Content-Length, by chunked
// transfer coding, or by the end of the connection (RFC 9112, section 6).

export interface HttpResponse {
  statusCode: number;
  /**
   * Header values by lower-cased name. A repeated header keeps its last value, except that the values of a
   * repeated Connection, Content-Length or Transfer-Encoding header are joined with commas.
   */
  headers: Record<string, string>;
  body: Buffer;
  /** The server ends the connection after this response, so it cannot carry another request. */
  close: boolean;
}

export class HttpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpProtocolError';
  }
}

/** Limit on the status line and headers together, the same as Node's default. */
const maxHeadBytes = 16 * 1024;

/**
 * Headers that frame the message. Their repeated values are combined into one list, as RFC 9110 section 5.3
 * allows, so that conflicting Content-Length values fail validation instead of the last one framing the body.
 */
const framingHeaders = new Set(['connection', 'content-length', 'transfer-encoding']);

type BodyFraming = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

type ChunkState = 'size' | 'data' | 'data-end' | 'trailers';

/**
 * Turns the bytes of one connection into responses, one request at a time.
 * push() returns a response once its last byte has arrived.
 */
export class ResponseParser {
  private buffer: Buffer | undefined;
  private head: Omit<HttpResponse, 'body'> | undefined;
  private framing: BodyFraming = { kind: 'none' };
  private body: Buffer[] = [];
  private chunkState: ChunkState = 'size';
  private chunkRemaining = 0;

  /** Makes the parser expect the response to a request of this method, since a HEAD response has no body. */
  constructor(private readonly method: string) {}

  /** Feeds received bytes, and returns the response when it is complete. Throws HttpProtocolError on a malformed response. */
  push(chunk: Buffer): HttpResponse | undefined {
    this.buffer = this.buffer === undefined || this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.head === undefined) {
      if (!this.readHead()) return undefined;
    }
    return this.readBody();
  }

  /** Reports the end of the connection, which completes a body framed by it. */
  end(): HttpResponse | undefined {
    if (this.head !== undefined && this.framing.kind === 'close') return this.finish();
    return undefined;
  }

  /** Bytes received that no response has used yet. */
  get leftover(): number {
    return this.buffer?.length ?? 0;
  }

  /** Reads the status line and headers, and returns false when they have not all arrived. */
  private readHead(): boolean {
    const buffer = this.buffer as Buffer;
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buffer.length > maxHeadBytes) throw new HttpProtocolError(`response headers exceed ${maxHeadBytes} bytes`);
      return false;
    }
    const lines = buffer.toString('latin1', 0, end).split('\r\n');
    this.buffer = buffer.subarray(end + 4);

    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
    if (status === null) throw new HttpProtocolError(`malformed status line ${JSON.stringify(lines[0].slice(0, 100))}`);
    const statusCode = Number(status[2]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) throw new HttpProtocolError(`malformed header line ${JSON.stringify(lines[i].slice(0, 100))}`);
      const name = lines[i].slice(0, colon).toLowerCase();
      // A field name is a token, and whitespace before the colon is an error (RFC 9112 section 5.1).
      if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw new HttpProtocolError(`malformed header name ${JSON.stringify(name.slice(0, 100))}`);
      const value = lines[i].slice(colon + 1).trim();
      headers[name] = framingHeaders.has(name) && headers[name] !== undefined ? `${headers[name]}, ${value}` : value;
    }
    // An interim response, such as 100 Continue, precedes the real one.
    if (statusCode >= 100 && statusCode < 200) return true;

    // Connection contains a list of options, such as "keep-alive, close".
    const options = (headers.connection ?? '').toLowerCase().split(',').map((option) => option.trim());
    const close = options.includes('close') || (status[1] === '0' && !options.includes('keep-alive'));
    this.head = { statusCode, headers, close };
    this.framing = bodyFraming(this.method, statusCode, headers);
    if (this.framing.kind === 'close') this.head.close = true;
    return true;
  }

  private readBody(): HttpResponse | undefined {
    const framing = this.framing;
    if (framing.kind === 'none') return this.finish();
    if (framing.kind === 'close') {
      this.takeBody(this.buffer?.length ?? 0);
      return undefined;
    }
    if (framing.kind === 'length') {
      const moved = this.takeBody(Math.min(framing.remaining, this.buffer?.length ?? 0));
      framing.remaining -= moved;
      return framing.remaining === 0 ? this.finish() : undefined;
    }
    return this.readChunks();
  }

  /** Decodes chunked transfer coding as far as the buffered bytes go. */
  private readChunks(): HttpResponse | undefined {
    for (;;) {
      const buffer = this.buffer as Buffer;
      if (this.chunkState === 'data') {
        const moved = this.takeBody(Math.min(this.chunkRemaining, buffer.length));
        this.chunkRemaining -= moved;
        if (this.chunkRemaining > 0) return undefined;
        this.chunkState = 'data-end';
        continue;
      }
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) {
        if (buffer.length > maxHeadBytes) throw new HttpProtocolError('chunk size line too long');
        return undefined;
      }
      const line = buffer.toString('latin1', 0, lineEnd);
      this.buffer = buffer.subarray(lineEnd + 2);
      if (this.chunkState === 'data-end') {
        if (line !== '') throw new HttpProtocolError('chunk data longer than its size');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        // A chunk extension follows the size after a semicolon, and is ignored.
        const sizeText = line.split(';', 1)[0].trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new HttpProtocolError(`invalid chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
        this.chunkRemaining = parseInt(sizeText, 16);
        this.chunkState = this.chunkRemaining === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        // The empty line after the trailer fields ends the message.
        return this.finish();
      }
    }
  }

  /** Moves count bytes from the buffer to the body. */
  private takeBody(count: number): number {
    if (count === 0) return 0;
    const buffer = this.buffer as Buffer;
    this.body.push(count === buffer.length ? buffer : buffer.subarray(0, count));
    this.buffer = buffer.subarray(count);
    return count;
  }

  private finish(): HttpResponse {
    const head = this.head as Omit<HttpResponse, 'body'>;
    const body = this.body.length === 1 ? this.body[0] : Buffer.concat(this.body);
    this.head = undefined;
    this.body = [];
    this.framing = { kind: 'none' };
    this.chunkState = 'size';
    return { ...head, body };
  }
}

/** Decides how the body of a response ends, in the order RFC 9112 section 6.3 gives. */
function bodyFraming(method: string, statusCode: number, headers: Record<string, string>): BodyFraming {
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return { kind: 'none' };
  const transferEncoding = headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    if (/(?:^|,)\s*chunked\s*$/i.test(transferEncoding)) return { kind: 'chunked' };
    return { kind: 'close' };
  }
  const contentLength = headers['content-length'];
  if (contentLength !== undefined) {
    if (!/^\d{1,15}$/.test(contentLength)) throw new HttpProtocolError(`invalid Content-Length ${JSON.stringify(contentLength.slice(0, 20))}`);
    const length = Number(contentLength);
    return length === 0 ? { kind: 'none' } : { kind: 'length', remaining: length };
  }
  return { kind: 'close' };
}
