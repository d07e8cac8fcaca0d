import { afterEach, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStorageFile } from '../../src/storage/segment-files.js';
import {
  checkAbortedTxn,
  collectAbortedTxns,
  DamagedTxnIndexError,
  decodeAbortedTxns,
  encodeAbortedTxns,
  TransactionIndex,
  TXN_ENTRY_SIZE,
} from '../../src/storage/transaction-index.js';
import type { AbortedTxn } from '../../src/storage/types.js';
import { tempDir } from './helpers.js';

const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset = lastOffset + 1n): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset });

describe('transaction index format', () => {
  it('writes 34-byte entries: version 0, producer id, first, last and last stable offset, big-endian', () => {
    const buf = encodeAbortedTxns([txn(0x0102030405060708n, 100n, 120n, 110n), txn(9n, 121n, 130n)]);
    expect(buf.length).toBe(2 * TXN_ENTRY_SIZE);
    expect(TXN_ENTRY_SIZE).toBe(34);
    expect(buf.subarray(0, 34).toString('hex')).toBe(
      '0000' + '0102030405060708' + '0000000000000064' + '0000000000000078' + '000000000000006e',
    );
    expect(decodeAbortedTxns(buf, 100n)).toEqual([txn(0x0102030405060708n, 100n, 120n, 110n), txn(9n, 121n, 130n)]);
  });

  it('calls a file damaged when it is torn, of another version, out of order or below its segment', () => {
    const good = encodeAbortedTxns([txn(1n, 10n, 12n), txn(2n, 11n, 15n)]);
    expect(() => decodeAbortedTxns(good.subarray(0, 50), 10n)).toThrow(DamagedTxnIndexError);
    const version = Buffer.from(good);
    version.writeInt16BE(1, 34);
    expect(() => decodeAbortedTxns(version, 10n)).toThrow(/version 1/);
    expect(() => decodeAbortedTxns(encodeAbortedTxns([txn(2n, 11n, 15n), txn(1n, 10n, 12n)]), 10n)).toThrow(/not after the previous/);
    expect(() => decodeAbortedTxns(good, 13n)).toThrow(/below the segment's base offset 13/);
    expect(() => decodeAbortedTxns(encodeAbortedTxns([txn(1n, 20n, 12n)]), 10n)).toThrow(/first offset 20/);
    expect(decodeAbortedTxns(Buffer.alloc(0), 10n)).toEqual([]);
  });
});

describe('collectAbortedTxns (Kafka\'s search rule)', () => {
  const entries = [txn(1n, 0n, 5n, 3n), txn(2n, 3n, 8n, 9n), txn(3n, 9n, 12n, 13n)];

  it('returns entries with lastOffset >= from and firstOffset < upper bound', () => {
    expect(collectAbortedTxns(entries, 0n, 100n)).toEqual({ txns: entries, complete: false });
    expect(collectAbortedTxns(entries, 6n, 100n).txns).toEqual(entries.slice(1));
    expect(collectAbortedTxns(entries, 13n, 100n)).toEqual({ txns: [], complete: false });
  });

  it('is complete at the first entry whose last stable offset reaches the upper bound', () => {
    // Upper bound 3: the first entry's LSO (3) reaches it; the second, starting at 3, is not looked at.
    expect(collectAbortedTxns(entries, 0n, 3n)).toEqual({ txns: [entries[0]], complete: true });
    expect(collectAbortedTxns(entries, 0n, 4n)).toEqual({ txns: [entries[0], entries[1]], complete: true });
    // An entry outside the range still ends the search.
    expect(collectAbortedTxns(entries, 6n, 3n)).toEqual({ txns: [], complete: true });
  });

  it('refuses an entry out of marker order, past the log end, or starting after its marker', () => {
    expect(() => { checkAbortedTxn(txn(1n, 0n, 5n), txn(1n, 0n, 5n), 10n); }).toThrow(/not greater/);
    expect(() => { checkAbortedTxn(txn(1n, 0n, 10n), undefined, 10n); }).toThrow(/not in the log/);
    expect(() => { checkAbortedTxn(txn(1n, 6n, 5n), undefined, 10n); }).toThrow(/after its marker/);
    expect(() => { checkAbortedTxn(txn(1n, 0n, 6n), txn(1n, 0n, 5n), 10n); }).not.toThrow();
  });
});

describe('TransactionIndex file', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const file = async (): Promise<string> => {
    const d = await tempDir();
    cleanups.push(d.remove);
    return join(d.path, '00000000000000000100.txnindex');
  };

  it('has no file until the first entry, then appends entry after entry', async () => {
    const path = await file();
    const index = new TransactionIndex(path, 100n);
    expect(await TransactionIndex.read(path, 100n, openStorageFile)).toEqual([]);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await index.append(txn(1n, 100n, 104n), openStorageFile, false);
    await index.append(txn(2n, 101n, 107n, 105n), openStorageFile, true);
    expect((await stat(path)).size).toBe(68);
    expect(await TransactionIndex.read(path, 100n, openStorageFile)).toEqual([txn(1n, 100n, 104n), txn(2n, 101n, 107n, 105n)]);
    expect(index.entries).toEqual([txn(1n, 100n, 104n), txn(2n, 101n, 107n, 105n)]);
    expect(index.collect(105n, 200n)).toEqual({ txns: [txn(2n, 101n, 107n, 105n)], complete: false });
  });

  it('truncates to the entries whose marker is below the offset', async () => {
    const path = await file();
    const index = new TransactionIndex(path, 100n);
    for (const t of [txn(1n, 100n, 102n), txn(2n, 101n, 105n), txn(3n, 106n, 109n)]) await index.append(t, openStorageFile, false);
    await index.truncateTo(106n, openStorageFile);
    expect(index.entries).toEqual([txn(1n, 100n, 102n), txn(2n, 101n, 105n)]);
    expect(await TransactionIndex.read(path, 100n, openStorageFile)).toEqual(index.entries);
    await index.truncateTo(105n, openStorageFile);
    expect((await stat(path)).size).toBe(34);
    // Appends continue after the cut.
    await index.append(txn(4n, 104n, 108n), openStorageFile, false);
    expect(await TransactionIndex.read(path, 100n, openStorageFile)).toEqual([txn(1n, 100n, 102n), txn(4n, 104n, 108n)]);
  });

  it('is replaced whole by a rebuild, and removed when the rebuild finds nothing', async () => {
    const path = await file();
    await writeFile(path, Buffer.alloc(40, 0xff));
    await expect(TransactionIndex.read(path, 100n, openStorageFile)).rejects.toBeInstanceOf(DamagedTxnIndexError);
    const index = new TransactionIndex(path, 100n);
    await index.replace([txn(7n, 90n, 101n, 95n)], openStorageFile);
    expect(await readFile(path)).toEqual(encodeAbortedTxns([txn(7n, 90n, 101n, 95n)]));
    expect(await TransactionIndex.read(path, 100n, openStorageFile)).toEqual([txn(7n, 90n, 101n, 95n)]);
    await index.replace([], openStorageFile);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(index.entries).toEqual([]);
  });
});
