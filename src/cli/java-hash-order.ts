/**
 * The iteration order of java.util.HashMap with String keys, for output that must match a Java
 * tool byte for byte where the tool prints a HashMap's entries (kafka-topics prints a topic's
 * configs from Admin's Config, and the topics of `--describe` from a HashMap of descriptions).
 *
 * HashMap keeps a power-of-two table of buckets; a key goes to bucket `spread(hashCode) & (n-1)`
 * with spread(h) = h ^ (h >>> 16), and appends to that bucket's list. Iteration walks the buckets in
 * order and each list in order. A resize doubles the table and splits every list into the low and
 * high halves keeping their order. The table starts at 16 buckets (or tableSizeFor(capacity) for
 * `new HashMap<>(capacity)`, and for the copy constructor the capacity is size / 0.75 + 1) and
 * doubles when the size passes 0.75 of it. A bucket reaching 9 entries in a table under 64 also
 * doubles it (in a larger table it would become a tree, which maps this small never reach).
 */
import { javaStringHash } from '../util/java-string-hash.js';
import { present } from '../util/must-get.js';

const DEFAULT_CAPACITY = 16;
const LOAD_FACTOR = 0.75;
const TREEIFY_THRESHOLD = 8;
const MIN_TREEIFY_CAPACITY = 64;


function spread(h: number): number {
  return h ^ (h >>> 16);
}

/** HashMap.tableSizeFor: the smallest power of two at least `cap` (at least 1). */
export function tableSizeFor(cap: number): number {
  if (cap <= 1) return 1;
  let n = 1;
  while (n < cap) n *= 2;
  return n;
}

/** A model of java.util.HashMap<String, ?> that only tracks which key is where. */
export class JavaHashMapOrder {
  private table: string[][] | null = null;
  private threshold: number;
  private readonly present = new Set<string>();

  /** `new HashMap<>()` without an argument, `new HashMap<>(capacity)` with one. */
  constructor(initialCapacity?: number) {
    this.threshold = initialCapacity === undefined ? 0 : tableSizeFor(initialCapacity);
  }

  /** `new HashMap<>(source)`: sized for the source, then filled in its iteration order. */
  static copyOf(source: JavaHashMapOrder): JavaHashMapOrder {
    const m = new JavaHashMapOrder();
    const keys = source.keys();
    const t = Math.trunc(keys.length / LOAD_FACTOR + 1);
    if (t > m.threshold) m.threshold = tableSizeFor(t);
    for (const k of keys) m.put(k);
    return m;
  }

  get size(): number {
    return this.present.size;
  }

  put(key: string): void {
    if (this.present.has(key)) return;
    if (this.table === null) this.resize();
    const table = present(this.table, 'hash table after resize');
    const bucket = table[spread(javaStringHash(key)) & (table.length - 1)];
    bucket.push(key);
    this.present.add(key);
    if (bucket.length - 2 >= TREEIFY_THRESHOLD - 1 && table.length < MIN_TREEIFY_CAPACITY) this.resize();
    if (this.present.size > this.threshold) this.resize();
  }

  /** Keys in iteration order. */
  keys(): string[] {
    return this.table === null ? [] : this.table.flat();
  }

  private resize(): void {
    const old = this.table;
    const oldCap = old?.length ?? 0;
    let newCap: number;
    let newThr = 0;
    if (oldCap > 0) {
      newCap = oldCap * 2;
      if (oldCap >= DEFAULT_CAPACITY) newThr = this.threshold * 2;
    } else if (this.threshold > 0) {
      newCap = this.threshold;
    } else {
      newCap = DEFAULT_CAPACITY;
      newThr = Math.trunc(DEFAULT_CAPACITY * LOAD_FACTOR);
    }
    if (newThr === 0) newThr = Math.trunc(newCap * LOAD_FACTOR);
    this.threshold = newThr;
    const table: string[][] = Array.from({ length: newCap }, () => []);
    if (old) {
      for (let j = 0; j < oldCap; j++) {
        for (const key of old[j]) {
          const hi = (spread(javaStringHash(key)) & oldCap) !== 0;
          table[hi ? j + oldCap : j].push(key);
        }
      }
    }
    this.table = table;
  }
}

/** Orders `keys` as a `new HashMap<>()` filled with them in the given order would iterate them. */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const m = new JavaHashMapOrder();
  for (const k of keys) m.put(k);
  return m.keys();
}
