/**
 * `map.get(key)` where the caller's own bookkeeping guarantees the key is there (it was just set,
 * or the map was filled from the same list). A broken guarantee is a bug: it throws here, naming
 * the key, instead of surfacing later as "cannot read properties of undefined".
 */
export function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`internal error: no entry for ${String(key)}`);
  return value;
}

/** A value the caller's own checks guarantee is there (an option validated earlier, say); as mustGet. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`internal error: no ${what}`);
  return value;
}
