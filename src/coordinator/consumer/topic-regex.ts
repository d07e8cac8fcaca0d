/**
 * Subscription regular expressions (ConsumerGroupHeartbeat v1 subscribedTopicRegex). Kafka compiles
 * them with RE2/J and a topic matches when the whole name matches (`Matcher.matches()`). Gregor uses
 * JavaScript's RegExp, anchored at both ends, after translating what RE2/J accepts and RegExp does not:
 *
 * - leading inline flags `(?i)`, `(?s)`, `(?m)` (and combinations) become RegExp flags; `(?U)` and
 *   flags in the middle of a pattern are rejected;
 * - `\Q...\E` quoting becomes escaped literal text; `\A` and `\z` become `^` and `$`; named groups
 *   `(?P<name>...)` become `(?<name>...)`.
 *
 * Differences that remain: RegExp accepts look-around and back-references, which RE2/J rejects (such
 * a subscription is valid here and INVALID_REGULAR_EXPRESSION on Kafka); RE2/J's Unicode classes
 * (`\p{Greek}`) and POSIX classes (`[[:alpha:]]`) are not translated and are rejected or read
 * differently; matching is on UTF-16 code units rather than code points.
 */

const cache = new Map<string, RegExp | Error>();

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function translate(pattern: string): { source: string; flags: string } {
  let flags = '';
  let body = pattern;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(body);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 's' || f === 'm') {
        if (!flags.includes(f)) flags += f;
      } else {
        throw new Error(`invalid or unsupported Perl syntax: \`(?${lead[1]}\``);
      }
    }
    body = body.slice(lead[0].length);
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      const n = body[i + 1];
      if (n === 'Q') {
        const end = body.indexOf('\\E', i + 2);
        const literal = end < 0 ? body.slice(i + 2) : body.slice(i + 2, end);
        out += escapeLiteral(literal);
        i = end < 0 ? body.length : end + 1;
        continue;
      }
      if (n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (n === 'z') {
        out += '$';
        i++;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (c === '(' && body[i + 1] === '?' && body[i + 2] === 'P' && body[i + 3] === '<') {
      // RE2's named group (?P<name>...) is RegExp's (?<name>...).
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '(' && body[i + 1] === '?' && /^[a-zA-Z]/.test(body[i + 2] ?? '')) {
      throw new Error(`invalid or unsupported Perl syntax: \`${body.slice(i, i + 4)}\``);
    }
    out += c;
  }
  return { source: `^(?:${out})$`, flags };
}

/** The compiled subscription pattern, or an Error saying why it is not valid. */
export function compileTopicRegex(pattern: string): RegExp | Error {
  let r = cache.get(pattern);
  if (r === undefined) {
    try {
      const { source, flags } = translate(pattern);
      r = new RegExp(source, flags);
    } catch (err) {
      r = err instanceof Error ? err : new Error(String(err));
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, r);
  }
  return r;
}

/** The names of the given topics that the pattern matches (none for an invalid pattern). */
export function matchingTopics(pattern: string, topicNames: Iterable<string>): string[] {
  const re = compileTopicRegex(pattern);
  if (re instanceof Error) return [];
  const out: string[] = [];
  for (const name of topicNames) if (re.test(name)) out.push(name);
  return out;
}
