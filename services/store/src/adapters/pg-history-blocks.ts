/**
 * signal_history_block (migration 0018) in PostgreSQL: write history blocks whole as a compare-and-set on their row
 * version, and, for the blocks whose row this writer did not hold (a replay, late data, another writer), lock the
 * stored row, merge it in and write again if the merge added anything.
 *
 * Exactly-once contract: `writeHistoryBlocks` runs inside the caller's transaction; when it returns, each block's row
 * holds the merge (history-order.ts's rule per slot) of what was stored and what the block holds, so a replay or a
 * split bucket never loses or doubles a sample.
 */
import type pg from 'pg';
import { HISTORY_BLOCK_SIZE, type HistoryBlock, type StoredHistoryBlock } from '../domain/history-blocks.js';

/** Blocks per statement (9 parameters each). */
const BLOCKS_PER_STATEMENT = 100;
const N = HISTORY_BLOCK_SIZE;
const PARAMS = 9;

// Each row's slot arrays travel as their own parameters in PostgreSQL's binary array format (no float formatting or
// parsing; NULL where a slot has no sample). Not as flat arrays sliced per row, as pg-latest-blocks does: slicing an
// array with NULLs walks it from the start, O(blocks²) per statement, which cost more than the write itself. The
// update applies only over the version this writer last saw; RETURNING names the rows written.
function writeStatement(rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const p = r * PARAMS;
    values.push(
      `($${p + 1}::text, $${p + 2}::int, $${p + 3}::int8, $${p + 4}::float8[], $${p + 5}::int4[], ` +
        `$${p + 6}::int8[], $${p + 7}::int2[], $${p + 8}::text[], $${p + 9}::int8 + 1)`,
    );
  }
  return `INSERT INTO signal_history_block AS h
  (vin, block, bucket_us, value, offset_us, receive_time_ms, catalog_version_index, catalog_versions, version)
VALUES ${values.join(',\n')}
ON CONFLICT (vin, block, bucket_us) DO UPDATE SET value = excluded.value, offset_us = excluded.offset_us,
  receive_time_ms = excluded.receive_time_ms, catalog_version_index = excluded.catalog_version_index,
  catalog_versions = excluded.catalog_versions, version = excluded.version
WHERE h.version = excluded.version - 1
RETURNING vin, block, bucket_us`;
}
const FULL_STATEMENT = writeStatement(BLOCKS_PER_STATEMENT);

type BlockRow = {
  vin: string;
  block: number;
  bucket_us: string;
  value: (number | null)[];
  offset_us: (number | null)[];
  receive_time_ms: (string | null)[];
  catalog_version_index: (number | null)[];
  catalog_versions: string[];
  version: string;
};

function stored(row: BlockRow): StoredHistoryBlock {
  return {
    vin: row.vin,
    block: row.block,
    bucketUs: Number(row.bucket_us),
    value: row.value,
    offsetUs: row.offset_us,
    receiveTimeMs: row.receive_time_ms.map((t) => (t === null ? null : Number(t))),
    catalogVersion: row.catalog_version_index.map((i) => (i === null ? null : (row.catalog_versions[i - 1] ?? ''))),
    version: Number(row.version),
  };
}

const key = (vin: string, block: number, bucketUs: number | string) => `${vin}\u0000${block}\u0000${bucketUs}`;

/**
 * Writes the blocks (each the merge of what this writer holds); blocks whose row moved on or was never seen are
 * locked, merged with the stored row and written again where that adds something. Returns how many needed the merge.
 */
export async function writeHistoryBlocks(client: pg.ClientBase, blocks: readonly HistoryBlock[]): Promise<number> {
  const missed = await writeIfUnchanged(client, blocks);
  if (missed.length === 0) return 0;
  const { rows } = await client.query<BlockRow>(
    `SELECT h.vin, h.block, h.bucket_us, h.value, h.offset_us, h.receive_time_ms, h.catalog_version_index,
       h.catalog_versions, h.version
     FROM signal_history_block h
     JOIN unnest($1::text[], $2::int[], $3::int8[]) AS k(vin, block, bucket_us) USING (vin, block, bucket_us)
     ORDER BY vin, block, bucket_us FOR UPDATE OF h`,
    [missed.map((b) => b.vin), missed.map((b) => b.block), missed.map((b) => b.bucketUs)],
  );
  const byKey = new Map(missed.map((b) => [key(b.vin, b.block, b.bucketUs), b]));
  const again: HistoryBlock[] = [];
  const found = new Set<string>();
  for (const row of rows) {
    const k = key(row.vin, row.block, row.bucket_us);
    const block = byKey.get(k);
    if (!block) continue;
    found.add(k);
    if (block.absorb(stored(row))) again.push(block);
  }
  for (const [k, block] of byKey) {
    if (found.has(k)) continue;
    block.version = 0; // the row is gone (retention dropped its day): insert it anew
    again.push(block);
  }
  const still = await writeIfUnchanged(client, again);
  if (still.length > 0) throw new Error(`${still.length} history blocks changed under a row lock`);
  return missed.length;
}

/** One CAS pass; returns the blocks not written. On success each written block's version is advanced. */
async function writeIfUnchanged(client: pg.ClientBase, blocks: readonly HistoryBlock[]): Promise<HistoryBlock[]> {
  const missed: HistoryBlock[] = [];
  for (let from = 0; from < blocks.length; from += BLOCKS_PER_STATEMENT) {
    const part = blocks.slice(from, from + BLOCKS_PER_STATEMENT);
    const params: unknown[] = [];
    for (const block of part) {
      const value = new NullableBinaryArray(N, block.size, 701, 8);
      const offset = new NullableBinaryArray(N, block.size, 23, 4);
      const receive = new NullableBinaryArray(N, block.size, 20, 8);
      const versionIndex = new NullableBinaryArray(N, block.size, 21, 2);
      const versions: string[] = [];
      let at = 0;
      for (let slot = 0; slot < N; slot++) {
        if (block.slots[at] !== slot) {
          value.null();
          offset.null();
          receive.null();
          versionIndex.null();
          continue;
        }
        value.float8(block.value[at]!);
        offset.int4(block.offsetUs[at]!);
        receive.int8(block.receiveTimeMs[at]!);
        const version = block.catalogVersion[at]!;
        let index = versions.indexOf(version) + 1;
        if (index === 0) index = versions.push(version);
        versionIndex.int2(index);
        at += 1;
      }
      params.push(
        block.vin,
        block.block,
        block.bucketUs,
        value.bytes(),
        offset.bytes(),
        receive.bytes(),
        versionIndex.bytes(),
        versions,
        block.version,
      );
    }
    const sql = part.length === BLOCKS_PER_STATEMENT ? FULL_STATEMENT : writeStatement(part.length);
    const { rows } = await client.query<{ vin: string; block: number; bucket_us: string }>(sql, params);
    const written = new Set(rows.map((w) => key(w.vin, w.block, w.bucket_us)));
    for (const block of part) {
      if (written.has(key(block.vin, block.block, block.bucketUs))) block.version += 1;
      else missed.push(block);
    }
  }
  return missed;
}

/**
 * A one-dimensional array in PostgreSQL's binary format (array_send) with NULLs: ndim, has-nulls flag, element type
 * oid, length, lower bound, then each element as length (-1 for NULL) + big-endian bytes. pg sends a Buffer
 * parameter as binary.
 */
class NullableBinaryArray {
  private readonly buffer: Buffer;
  private readonly view: DataView;
  private at = 20;

  constructor(length: number, present: number, elementOid: number, width: number) {
    this.buffer = Buffer.alloc(20 + length * 4 + present * width);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.view.setInt32(0, 1);
    this.view.setInt32(4, present < length ? 1 : 0);
    this.view.setInt32(8, elementOid);
    this.view.setInt32(12, length);
    this.view.setInt32(16, 1);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  null(): void {
    this.view.setInt32(this.at, -1);
    this.at += 4;
  }

  float8(x: number): void {
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, x);
    this.at += 12;
  }

  int4(x: number): void {
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, x);
    this.at += 8;
  }

  /** An integral number (|x| < 2^53). */
  int8(x: number): void {
    this.view.setInt32(this.at, 8);
    const high = Math.floor(x / 0x100000000);
    this.view.setInt32(this.at + 4, high);
    this.view.setUint32(this.at + 8, x - high * 0x100000000);
    this.at += 12;
  }

  int2(x: number): void {
    this.view.setInt32(this.at, 2);
    this.view.setInt16(this.at + 4, x);
    this.at += 6;
  }
}
