// The Dockerfile's small shell-like lexer: word splitting, quotes, the escape
// character and variable substitution ($VAR, ${VAR}, ${VAR:-word},
// ${VAR:+word}), applied to the arguments of ENV, LABEL, COPY, ADD, WORKDIR,
// USER, EXPOSE, ARG and FROM, as docker's shell lexer does.

export type Variables = ReadonlyMap<string, string>;

export interface WordOptions {
  escape?: string;
  /** Substitute variables; false only splits and unquotes. */
  expand?: boolean;
}

class Lexer {
  private position = 0;

  constructor(private readonly text: string, private readonly variables: Variables, private readonly escape: string, private readonly expand: boolean) {}

  words(): string[] {
    const words: string[] = [];
    for (;;) {
      while (this.position < this.text.length && /\s/.test(this.peek())) this.position++;
      if (this.position >= this.text.length) return words;
      words.push(this.word(true));
    }
  }

  /** Reads one word; with split false the whole rest of the text is one word. */
  word(split: boolean): string {
    let result = '';
    while (this.position < this.text.length) {
      const char = this.peek();
      if (split && /\s/.test(char)) break;
      this.position++;
      if (char === this.escape) {
        result += this.position < this.text.length ? this.text[this.position++] : '';
      } else if (char === "'") {
        result += this.until("'", false);
      } else if (char === '"') {
        result += this.until('"', true);
      } else if (char === '$' && this.expand) {
        result += this.variable();
      } else {
        result += char;
      }
    }
    return result;
  }

  private peek(): string {
    return this.text[this.position] ?? '';
  }

  private until(quote: string, interpret: boolean): string {
    let result = '';
    while (this.position < this.text.length && this.peek() !== quote) {
      const char = this.text[this.position++] ?? '';
      if (interpret && char === this.escape && this.position < this.text.length) {
        const next = this.peek();
        // Inside double quotes the escape only escapes quote, escape and $.
        if (next === quote || next === this.escape || next === '$') {
          result += next;
          this.position++;
        } else {
          result += char;
        }
      } else if (interpret && char === '$' && this.expand) {
        result += this.variable();
      } else {
        result += char;
      }
    }
    if (this.position >= this.text.length) throw new Error(`unterminated quote ${quote} in: ${this.text}`);
    this.position++;
    return result;
  }

  private variable(): string {
    if (this.peek() === '{') {
      const end = this.text.indexOf('}', this.position);
      if (end < 0) throw new Error(`missing } in: ${this.text}`);
      const body = this.text.slice(this.position + 1, end);
      this.position = end + 1;
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(body);
      if (!match?.[1]) throw new Error(`invalid substitution \${${body}} in: ${this.text}`);
      const value = this.variables.get(match[1]);
      const word = match[3] !== undefined ? expandWord(match[3], this.variables, this.escape) : '';
      if (match[2] === '-') return value ? value : word;
      if (match[2] === '+') return value ? word : '';
      return value ?? '';
    }
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.position));
    if (!match) return '$';
    this.position += match[0].length;
    return this.variables.get(match[0]) ?? '';
  }
}

/** Splits text into words, removing quotes and expanding variables. */
export function splitWords(text: string, variables: Variables, options: WordOptions = {}): string[] {
  return new Lexer(text, variables, options.escape ?? '\\', options.expand ?? true).words();
}

/** Expands variables and removes quotes in text taken as one word, spaces kept. */
export function expandWord(text: string, variables: Variables, escape = '\\'): string {
  return new Lexer(text, variables, escape, true).word(false);
}
