/**
 * The process's limit on open files (RLIMIT_NOFILE), and what to tell a user who hits it (EMFILE).
 *
 * Raising the limit: Node.js itself raises the soft limit to the hard limit when it starts on
 * POSIX systems (node.cc, PlatformInit), so by the time the broker runs, the soft limit already is
 * as high as an unprivileged process can set it. Node has no setrlimit; the npm packages that add
 * it (posix, posix-node) are native addons, which this project does not build at install. What is
 * left is to read the limits, which Linux shows in /proc/self/limits, and to say how to raise the
 * hard limit, which only the environment that starts the process can do.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface OpenFileLimit {
  /** The soft limit (what open() is held to); null when unlimited. */
  soft: number | null;
  /** The hard limit (the most the soft limit may be raised to without privilege); null when unlimited. */
  hard: number | null;
}

/** Parses the "Max open files" line of /proc/<pid>/limits; undefined when absent. */
export function parseOpenFileLimit(limitsText: string): OpenFileLimit | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (m === null) return undefined;
  const value = (v: string): number | null => (v === 'unlimited' ? null : Number(v));
  const soft = value(m[1]);
  const hard = value(m[2]);
  if (Number.isNaN(soft) || Number.isNaN(hard)) return undefined;
  return { soft, hard };
}

let known: OpenFileLimit | undefined;

/**
 * This process's limit, where the platform shows it (Linux); undefined elsewhere. Kept from the
 * first read: reading it needs a descriptor, which is what is missing when it matters most.
 */
export function readOpenFileLimit(): OpenFileLimit | undefined {
  if (known !== undefined) return known;
  try {
    known = parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
  return known;
}

/** How many descriptors this process holds now (Linux); undefined elsewhere. */
export function countOpenDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** True when `err`, or an error it wraps (`cause`), is EMFILE or ENFILE. */
export function isTooManyOpenFiles(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && e !== undefined && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE') return true;
  }
  return false;
}

export interface DescriptorNeeds {
  /** Partitions the broker holds, when known. */
  partitions?: number;
  /** Descriptors used at once to load partitions (a few per partition being opened). */
  loading?: number;
}

/**
 * Descriptors a broker with `partitions` partitions may want: one for each partition's active
 * segment once it is written or read, what loading holds at once, and a margin for client
 * connections, the broker's own state logs and Node's own (stdio, event loop, thread pool).
 */
export function descriptorsNeeded(needs: DescriptorNeeds): number {
  return (needs.partitions ?? 0) + (needs.loading ?? 0) + 256;
}

/** A limit to suggest: the need rounded up to a power of two, at least 4096. */
function suggestedLimit(needed: number): number {
  let n = 4096;
  while (n < needed) n *= 2;
  return n;
}

/**
 * What to say about EMFILE: the limit in force and the descriptors held (where the platform
 * shows them; null when unknown), what the broker needs, and how to raise the limit.
 */
export function tooManyOpenFilesAdvice(
  needs: DescriptorNeeds,
  limit: OpenFileLimit | null = readOpenFileLimit() ?? null,
  open: number | null = countOpenDescriptors() ?? null,
): string {
  const needed = descriptorsNeeded(needs);
  const suggest = suggestedLimit(needed);
  const fmt = (v: number | null): string => (v === null ? 'unlimited' : String(v));
  const parts = ['too many open files (EMFILE).'];
  if (limit !== null) {
    parts.push(`This process may open ${fmt(limit.soft)} files (soft limit ${fmt(limit.soft)}, hard limit ${fmt(limit.hard)}, from /proc/self/limits)${open === null ? '' : ` and holds ${open}`}.`);
  }
  const held = 'one per partition written or read (its active segment), one per client connection';
  if (needs.partitions !== undefined) {
    parts.push(`With ${needs.partitions} partitions the broker needs up to about ${needed} descriptors: ${held}${needs.loading ? `, ${needs.loading} while loading` : ''}.`);
  } else {
    parts.push(`The broker holds ${held}, and a few hundred of its own.`);
  }
  parts.push(
    `Raise the limit before starting, e.g. \`ulimit -n ${suggest}\` in the shell that starts it; above the hard limit, raise that too ` +
      `(as root, LimitNOFILE=${suggest} in a systemd unit, docker run --ulimit nofile=${suggest}:${suggest}, or nofile in /etc/security/limits.conf).`,
  );
  parts.push('Node.js already raised the soft limit to the hard limit at start; it has no call to raise the hard limit.');
  return parts.join(' ');
}
