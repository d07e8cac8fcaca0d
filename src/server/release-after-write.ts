/**
 * What a response's chunks must outlive: a response may carry views of pooled buffers (a fetch's
 * read buffers, partition/read-buffers.ts), whose bytes may be overwritten once given back. The socket
 * keeps the chunks by reference until the kernel has taken them, so they are given back only when
 * the write of the response's last chunk has completed; a response never written (its connection
 * closed first) gives them back at once, and one whose write failed keeps them for the collector
 * (the socket may still hold them).
 *
 * The releases ride beside the chunk list (a WeakMap keyed by it), so every layer between the
 * handler and the socket keeps passing plain Buffer[].
 */
const releases = new WeakMap<readonly Buffer[], (() => void)[]>();

/** Has `release` called once `chunks` has been written (see takeReleases). */
export function releaseAfterWrite(chunks: readonly Buffer[], release: () => void): void {
  const list = releases.get(chunks);
  if (list === undefined) releases.set(chunks, [release]);
  else list.push(release);
}

/** The releases attached to `chunks`, detached from them: the writer calls them when it is done. */
export function takeReleases(chunks: readonly Buffer[]): (() => void)[] | undefined {
  const list = releases.get(chunks);
  if (list !== undefined) releases.delete(chunks);
  return list;
}

/** Calls each release (a response that will never reach the socket). */
export function runReleases(list: readonly (() => void)[] | undefined): void {
  if (list !== undefined) for (const release of list) release();
}
