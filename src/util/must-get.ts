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
