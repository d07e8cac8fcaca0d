/**
 * Java `.properties` files, read and written the way `java.util.Properties` does, so that Kafka's
 * own `server.properties` (and anything an operator wrote for Kafka) means the same thing here.
 *
 * Reading (`Properties.load`):
 * - Natural lines end with `\n`, `\r` or `\r\n`. Leading whitespace (space, tab, form feed) of every
 *   natural line is skipped. A line whose first non-blank character is `#` or `!` is a comment, even
 *   when it ends with a backslash. Blank lines are skipped.
 * - A logical line continues on the next natural line when it ends with an odd number of
 *   backslashes; the last backslash and the next line's leading whitespace are dropped. A `#` at the
 *   start of a continuation line is ordinary text.
 * - The key runs to the first unescaped `=`, `:` or whitespace. Then whitespace, at most one `=` or
 *   `:`, and whitespace again are skipped; the value is the rest of the line. Trailing whitespace of
 *   the value is kept (Kafka trims values when it parses them, not here).
 * - Escapes in keys and values: `\t \n \r \f`, `\uXXXX` (exactly four hex digits, else an error), and
 *   a backslash before any other character stands for that character (`\=`, `\:`, `\ `, `\#`, `\\`).
 * - A key given twice keeps its last value.
 *
 * One deliberate difference: `Properties.load(InputStream)` decodes ISO-8859-1; `readPropertiesFile`
 * decodes UTF-8 (what editors write today). `\uXXXX` escapes work either way, and `stringify`
 * escapes non-ASCII by default so Kafka reads our files back unchanged.
 */
import { readFile } from 'node:fs/promises';

/** One key/value pair with the 1-based line where its logical line starts. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** A malformed file: only a bad `\uXXXX` escape is malformed for java.util.Properties. */
export class PropertiesSyntaxError extends Error {
  override readonly name = 'PropertiesSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    readonly source?: string,
  ) {
    super(`${source ? `${source}:` : 'line '}${line}: ${message}`);
  }
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

/** Every entry in file order, duplicates included (use `parseProperties` for the resulting map). */
export function parsePropertyEntries(text: string, source?: string): PropertyEntry[] {
  // A UTF-8 byte order mark is not part of the first key.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  let logical: string | null = null;
  let startLine = 0;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    let p = 0;
    while (p < raw.length && isBlank(raw[p])) p++;
    let natural = raw.slice(p);
    if (logical === null) {
      if (natural.length === 0) continue;
      if (natural[0] === '#' || natural[0] === '!') continue;
      startLine = i + 1;
    }
    let backslashes = 0;
    for (let j = natural.length - 1; j >= 0 && natural[j] === '\\'; j--) backslashes++;
    const continues = backslashes % 2 === 1;
    if (continues) natural = natural.slice(0, -1);
    logical = (logical ?? '') + natural;
    if (!continues) {
      entries.push(splitLogicalLine(logical, startLine, source));
      logical = null;
    }
  }
  // A continuation backslash on the last line: the logical line simply ends there.
  if (logical !== null && logical.length > 0) entries.push(splitLogicalLine(logical, startLine, source));
  return entries;
}

/** Parses `.properties` text into a Map in first-appearance order; a repeated key keeps its last value. */
export function parseProperties(text: string, source?: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of parsePropertyEntries(text, source)) map.set(e.key, e.value);
  return map;
}

/** Reads and parses a file as UTF-8; errors name the file and line. */
export async function readPropertiesFile(path: string): Promise<Map<string, string>> {
  return parseProperties(await readFile(path, 'utf8'), path);
}

function splitLogicalLine(line: string, lineNo: number, source?: string): PropertyEntry {
  let keyLen = 0;
  let valueStart = line.length;
  let hasSep = false;
  let escaped = false;
  while (keyLen < line.length) {
    const c = line[keyLen];
    if ((c === '=' || c === ':') && !escaped) {
      valueStart = keyLen + 1;
      hasSep = true;
      break;
    }
    if (isBlank(c) && !escaped) {
      valueStart = keyLen + 1;
      break;
    }
    escaped = c === '\\' ? !escaped : false;
    keyLen++;
  }
  while (valueStart < line.length) {
    const c = line[valueStart];
    if (!isBlank(c)) {
      if (!hasSep && (c === '=' || c === ':')) hasSep = true;
      else break;
    }
    valueStart++;
  }
  return {
    key: unescape(line.slice(0, keyLen), lineNo, source),
    value: unescape(line.slice(valueStart), lineNo, source),
    line: lineNo,
  };
}

function unescape(s: string, lineNo: number, source?: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break; // a lone trailing backslash (only possible at end of file) is dropped
    const e = s[i];
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new PropertiesSyntaxError('Malformed \\uxxxx encoding.', lineNo, source);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}

export interface StringifyOptions {
  /** Comment lines written first, each prefixed with `#`. */
  comments?: string | string[];
  /** Write characters outside printable ASCII as `\uXXXX` (as `Properties.store(OutputStream)` does). Default true. */
  escapeUnicode?: boolean;
}

/**
 * Serializes entries as `Properties.store` does (minus its date line): `key=value` per line, in the
 * order given; `\`, `=`, `:`, `#`, `!`, control characters and (by default) non-ASCII are escaped,
 * as are all spaces in keys and a leading space in values, so `parseProperties` returns the input.
 */
export function stringifyProperties(
  entries: Iterable<readonly [string, string]> | Record<string, string>,
  options: StringifyOptions = {},
): string {
  const escapeUnicode = options.escapeUnicode ?? true;
  const pairs: Iterable<readonly [string, string]> =
    Symbol.iterator in entries ? (entries) : Object.entries(entries);
  let out = '';
  const comments = options.comments === undefined ? [] : Array.isArray(options.comments) ? options.comments : [options.comments];
  for (const comment of comments) {
    for (const line of comment.split(/\r\n|\r|\n/)) out += `#${line}\n`;
  }
  for (const [k, v] of pairs) {
    out += `${escape(k, true, escapeUnicode)}=${escape(v, false, escapeUnicode)}\n`;
  }
  return out;
}

function escape(s: string, isKey: boolean, escapeUnicode: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    switch (c) {
      case ' ':
        out += i === 0 || isKey ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`;
        break;
      default:
        if ((code < 0x20 || code > 0x7e) && (escapeUnicode || code < 0x20 || code === 0x7f)) {
          out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
        } else {
          out += c;
        }
    }
  }
  return out;
}
