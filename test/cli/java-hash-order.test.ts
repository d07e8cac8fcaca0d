/**
 * The model of java.util.HashMap iteration order against orders taken from the JVM
 * (fixtures/java-hashmap-order.txt, made by running this program on OpenJDK 17 with one key set per
 * input line:
 *
 *   HashMap<String,Integer> m1 = new HashMap<>();             for (k : keys) m1.put(k, 1);
 *   HashMap<String,Integer> m2 = new HashMap<>(keys.length);  for (k : keys) m2.put(k, 1);
 *   HashMap<String,Integer> m3 = new HashMap<>(m2);
 *   HashMap<String,Integer> m4 = new HashMap<>(m3.size());    for (k : m3.keySet()) m4.put(k, 1);
 *   print m1.keySet() | m2.keySet() | m4.keySet()
 *
 * m1 is how Admin's Config holds a topic's configs; m2 to m4 is the chain of maps kafka-topics
 * --describe takes the topics through.)
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { JavaHashMapOrder, javaHashMapOrder, tableSizeFor } from '../../src/cli/java-hash-order.js';

const cases = readFileSync(new URL('./fixtures/java-hashmap-order.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('|').map((part) => part.split('\t')));

describe('JavaHashMapOrder', () => {
  it('sizes tables as HashMap.tableSizeFor does', () => {
    expect([0, 1, 2, 3, 5, 16, 17].map(tableSizeFor)).toEqual([1, 1, 2, 4, 8, 16, 32]);
  });

  it.each(cases.map((c, i) => [i, c[0].length, c] as const))('matches the JVM on key set %i (%i keys)', (_i, _n, [keys, m1, m2, m4]) => {
    expect(javaHashMapOrder(keys)).toEqual(m1);
    const sized = new JavaHashMapOrder(keys.length);
    keys.forEach((k) => { sized.put(k); });
    expect(sized.keys()).toEqual(m2);
    const copy = JavaHashMapOrder.copyOf(sized);
    const last = new JavaHashMapOrder(copy.size);
    copy.keys().forEach((k) => { last.put(k); });
    expect(last.keys()).toEqual(m4);
  });
});
