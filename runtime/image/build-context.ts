// The build context: the directory COPY and ADD read from, minus what
// .dockerignore excludes. Source patterns use Go's filepath.Match syntax
// (`*`, `?`, `[a-z]`) as docker does, and .dockerignore also accepts `**`.

import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { digestOfFile } from './digest.js';
import { resolveInRoot } from './rootfs-path.js';

/** A source that is missing from the build context or excluded by .dockerignore. */
export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

interface IgnoreRule {
  pattern: RegExp;
  exclude: boolean;
}

/** Converts a glob pattern to a regular expression matching whole slash-separated paths. */
export function globToRegExp(pattern: string, allowDoubleStar = false): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && allowDoubleStar && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, including none.
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`invalid pattern "${pattern}": missing ]`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === '\\' && i + 1 < pattern.length) {
      source += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Cleans a context-relative path: no leading slash, no `.` parts, and no way above the context. */
export function cleanContextPath(source: string): string {
  const cleaned = path.posix.normalize(`/${source}`).slice(1);
  return cleaned === '' ? '.' : cleaned;
}

export class BuildContext {
  /**
   * @param scoped true when root is an image's rootfs, whose symlinks must be
   *   resolved inside it rather than on the host.
   */
  private constructor(readonly root: string, private readonly rules: IgnoreRule[], private readonly scoped = false) {}

  /** Opens an image's rootfs as the source of COPY --from: no .dockerignore, symlinks resolved inside it. */
  static forRoot(root: string): BuildContext {
    return new BuildContext(root, [], true);
  }

  static async open(root: string): Promise<BuildContext> {
    const stats = await lstat(root).catch(() => undefined);
    if (!stats?.isDirectory()) throw new ContextError(`open build context ${root}: not a directory`);
    let text = '';
    try {
      text = await readFile(path.join(root, '.dockerignore'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`read ${path.join(root, '.dockerignore')}`, { cause: error });
    }
    const rules = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
      const exclude = !line.startsWith('!');
      const pattern = cleanContextPath(exclude ? line : line.slice(1).trim());
      return { pattern: globToRegExp(pattern, true), exclude };
    });
    return new BuildContext(path.resolve(root), rules);
  }

  /** True when .dockerignore excludes the path or one of its parent dirs. */
  isIgnored(relative: string): boolean {
    if (relative === '.' || this.rules.length === 0) return false;
    const parts = relative.split('/');
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const rule of this.rules) {
      if (prefixes.some((prefix) => rule.pattern.test(prefix))) ignored = rule.exclude;
    }
    return ignored;
  }

  private get hasExceptions(): boolean {
    return this.rules.some((rule) => !rule.exclude);
  }

  /** Lists every path under relativeDir (exclusive), depth first and sorted, minus ignored ones. */
  async walk(relativeDir = '.'): Promise<string[]> {
    const found: string[] = [];
    const visit = async (relative: string) => {
      const entries = (await readdir(path.join(this.root, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        const child = relative === '.' ? entry.name : `${relative}/${entry.name}`;
        const ignored = this.isIgnored(child);
        if (!ignored) found.push(child);
        // An excluded dir may still hold a file that a `!` rule brings back.
        if (entry.isDirectory() && (!ignored || this.hasExceptions)) await visit(child);
      }
    };
    await visit(relativeDir);
    return found;
  }

  /** Expands a COPY/ADD source (a path or a glob) into context-relative paths; throws when nothing matches. */
  async expandSource(source: string): Promise<string[]> {
    let cleaned = cleanContextPath(source);
    if (this.scoped && cleaned !== '.') {
      // Follow links in the parent path within the image; the last component is copied as it is.
      const parent = await resolveInRoot(this.root, path.posix.dirname(cleaned));
      cleaned = cleanContextPath(path.posix.join(path.relative(this.root, parent), path.posix.basename(cleaned)));
    }
    if (!hasGlob(cleaned)) {
      const exists = await lstat(path.join(this.root, cleaned)).then(() => true, () => false);
      if (!exists || this.isIgnored(cleaned)) throw new ContextError(`COPY failed: file not found in build context or excluded by .dockerignore: ${source}`);
      return [cleaned];
    }
    const pattern = globToRegExp(cleaned);
    const matches = (await this.walk()).filter((relative) => pattern.test(relative));
    if (matches.length === 0) throw new ContextError(`COPY failed: no source files were specified by ${source}`);
    return matches;
  }

  /**
   * Computes a digest of the sources' names, types, permission bits and
   * content, the part of a COPY or ADD cache key that changes with a file. Like
   * BuildKit, it ignores timestamps and ownership.
   */
  async digestSources(sources: string[]): Promise<string> {
    const hash = createHash('sha256');
    for (const source of sources) {
      const stats = await lstat(path.join(this.root, source));
      const members = stats.isDirectory() ? ['.', ...(await this.walk(source)).map((child) => path.posix.relative(source, child))] : ['.'];
      for (const member of members) {
        const full = path.join(this.root, source, member);
        const memberStats = await lstat(full);
        let content = '';
        if (memberStats.isFile()) content = await digestOfFile(full);
        else if (memberStats.isSymbolicLink()) content = await readlink(full);
        hash.update(`${source}\0${member}\0${memberStats.mode.toString(8)}\0${content}\n`);
      }
    }
    return `sha256:${hash.digest('hex')}`;
  }
}
