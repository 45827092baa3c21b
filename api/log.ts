// One structured log format for every component, modelled on klog's
// structured text output:  I1204 20:01:02.123456 apiserver "Serving" address="127.0.0.1:6443"
// Levels: error (E), warning (W), info (I) and debug (D). TINYKUBE_LOG_LEVEL
// (error, warn, info or debug; info by default) sets the lowest level printed.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const levelRank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const levelLetter: Record<LogLevel, string> = { error: 'E', warn: 'W', info: 'I', debug: 'D' };

function configuredLevel(): LogLevel {
  const value = process.env.TINYKUBE_LOG_LEVEL;
  return value && value in levelRank ? (value as LogLevel) : 'info';
}

let threshold = levelRank[configuredLevel()];
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

/** Sets the lowest level printed; tests and `--v` flags call it. */
export function setLogLevel(level: LogLevel): void {
  threshold = levelRank[level];
}

/** Replaces where log lines go, for tests that assert on them. */
export function setLogSink(write: (line: string) => void): void {
  sink = write;
}

/** Returns an error's message followed by its cause's, unless the message already ends with it, as wrappers often include it. */
function errorText(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return cause === '' || error.message.endsWith(cause) ? error.message : `${error.message}: ${cause}`;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(errorText(value));
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return JSON.stringify(value);
}

function timestamp(epochMicroseconds: number): string {
  const now = new Date(Math.floor(epochMicroseconds / 1000));
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:` +
    `${pad(now.getUTCSeconds())}.${pad(Math.floor(epochMicroseconds % 1_000_000), 6)}`;
}

/** Returns the wall-clock time in microseconds; Date alone has only milliseconds. */
function epochMicroseconds(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** Returns a logger that adds these fields to every line. */
  with(fields: LogFields): Logger;
}

export function createLogger(component: string, baseFields: LogFields = {}): Logger {
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (levelRank[level] > threshold) return;
    const pairs = Object.entries({ ...baseFields, ...fields })
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`);
    sink([`${levelLetter[level]}${timestamp(epochMicroseconds())}`, component, JSON.stringify(message), ...pairs].join(' '));
  };
  return {
    error: (message, fields) => write('error', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    info: (message, fields) => write('info', message, fields),
    debug: (message, fields) => write('debug', message, fields),
    with: (fields) => createLogger(component, { ...baseFields, ...fields }),
  };
}
