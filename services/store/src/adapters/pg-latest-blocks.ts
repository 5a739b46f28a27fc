/**
 * signal_latest_block (migration 0016) in PostgreSQL: read a vehicle's blocks, write changed blocks whole as a
 * compare-and-set on their row version, and, for the blocks another writer changed meanwhile, lock, merge and write.
 *
 * Exactly-once contract: `write` runs inside the caller's transaction; when it returns, every changed block is in
 * that transaction at a version no other writer has seen, newest event time per signal, nothing regressed.
 */
import type pg from 'pg';
import {
  LATEST_BLOCK_SIZE,
  type LatestBlock,
  type LatestBlockCache,
  type StoredBlock,
} from '../domain/latest-blocks.js';
import { Indexer } from './indexer.js';

/** Blocks per statement: ~3.3 KB of parameters each. */
const BLOCKS_PER_STATEMENT = 200;
const N = LATEST_BLOCK_SIZE;
/** Stands for "no value yet" in the int8 arrays on the wire (PostgreSQL gets NULL). */
const NONE = '-9223372036854775808';

const COLUMNS =
  'vin, block, model_id, value, event_time_ms, receive_time_ms, catalog_version_index, catalog_versions, version';

// The slots of all blocks travel as four flat arrays in PostgreSQL's binary array format (no float formatting or
// parsing; no NULLs, so slicing block n out is a constant-time seek), sliced per row. VINs and models travel once per
// statement, blocks refer to them by index. The update applies only over the version this writer last saw;
// RETURNING names the blocks written.
const WRITE_BLOCKS = `
INSERT INTO signal_latest_block AS l (vin, block, model_id, value, event_time_ms, receive_time_ms,
  catalog_version_index, catalog_versions, max_event_time_ms, max_receive_time_ms, write_time_ms, version)
SELECT ($1::text[])[t.vi], t.b, ($2::text[])[t.mi], ($4::float8[])[(t.n - 1) * ${N} + 1 : t.n * ${N}],
  array_replace(($5::int8[])[(t.n - 1) * ${N} + 1 : t.n * ${N}], ${NONE}, NULL),
  array_replace(($6::int8[])[(t.n - 1) * ${N} + 1 : t.n * ${N}], ${NONE}, NULL),
  ($7::int2[])[(t.n - 1) * ${N} + 1 : t.n * ${N}], t.cv::text[], t.me, t.mr, $3, t.ver + 1
FROM unnest($8::int[], $9::int[], $10::int[], $11::text[], $12::int8[], $13::int8[], $14::int8[])
  WITH ORDINALITY AS t(vi, b, mi, cv, me, mr, ver, n)
ON CONFLICT (vin, block) DO UPDATE SET model_id = excluded.model_id, value = excluded.value,
  event_time_ms = excluded.event_time_ms, receive_time_ms = excluded.receive_time_ms,
  catalog_version_index = excluded.catalog_version_index, catalog_versions = excluded.catalog_versions,
  max_event_time_ms = excluded.max_event_time_ms, max_receive_time_ms = excluded.max_receive_time_ms,
  write_time_ms = excluded.write_time_ms, version = excluded.version
WHERE l.version = excluded.version - 1
RETURNING vin, block`;

type BlockRow = {
  vin: string;
  block: number;
  model_id: string;
  value: (number | null)[];
  event_time_ms: (string | null)[];
  receive_time_ms: (string | null)[];
  catalog_version_index: number[];
  catalog_versions: string[];
  version: string;
};

function stored(row: BlockRow): StoredBlock {
  return {
    vin: row.vin,
    block: row.block,
    modelId: row.model_id,
    value: row.value,
    eventTimeMs: row.event_time_ms.map((t) => (t === null ? null : Number(t))),
    receiveTimeMs: row.receive_time_ms.map((t) => (t === null ? null : Number(t))),
    catalogVersion: row.catalog_version_index.map((i) => (i > 0 ? (row.catalog_versions[i - 1] ?? null) : null)),
    version: Number(row.version),
  };
}

/** Loads into the cache the vehicles of `vins` it does not hold. */
export async function loadLatestBlocks(
  client: pg.ClientBase,
  cache: LatestBlockCache,
  vins: readonly string[],
): Promise<void> {
  if (vins.length === 0) return;
  const { rows } = await client.query<BlockRow>(
    `SELECT ${COLUMNS} FROM signal_latest_block WHERE vin = ANY($1::text[])`,
    [vins],
  );
  cache.load(vins, rows.map(stored));
}

/**
 * Writes the changed blocks; the blocks another writer moved on are locked, merged with what it wrote and written
 * again. Returns how many blocks needed that merge.
 */
export async function writeLatestBlocks(
  client: pg.ClientBase,
  blocks: readonly LatestBlock[],
  writeTimeMs: number,
): Promise<number> {
  const conflicts = await writeIfUnchanged(client, blocks, writeTimeMs);
  if (conflicts.length === 0) return 0;
  // Another instance wrote these since we read them (a rebalance): take its rows under lock, merge, write again.
  const { rows } = await client.query<BlockRow>(
    `SELECT ${COLUMNS} FROM signal_latest_block l
     JOIN unnest($1::text[], $2::int[]) AS k(vin, block) USING (vin, block)
     ORDER BY vin, block FOR UPDATE OF l`,
    [conflicts.map((b) => b.vin), conflicts.map((b) => b.block)],
  );
  const byKey = new Map(conflicts.map((b) => [`${b.vin}\u0000${b.block}`, b]));
  for (const row of rows) byKey.get(`${row.vin}\u0000${row.block}`)?.absorb(stored(row));
  const again = await writeIfUnchanged(client, conflicts, writeTimeMs);
  if (again.length > 0) throw new Error(`${again.length} latest blocks changed under a row lock`);
  return conflicts.length;
}

/** One CAS pass; returns the blocks not written. On success each written block's version is advanced. */
async function writeIfUnchanged(
  client: pg.ClientBase,
  blocks: readonly LatestBlock[],
  writeTimeMs: number,
): Promise<LatestBlock[]> {
  const missed: LatestBlock[] = [];
  for (let from = 0; from < blocks.length; from += BLOCKS_PER_STATEMENT) {
    const part = blocks.slice(from, from + BLOCKS_PER_STATEMENT);
    const vins = new Indexer();
    const models = new Indexer();
    const slots = new SlotArrays(part.length * N);
    const perBlock = {
      vi: [] as number[],
      b: [] as number[],
      mi: [] as number[],
      cv: [] as string[],
      me: [] as number[],
      mr: [] as number[],
      ver: [] as number[],
    };
    for (const block of part) {
      perBlock.vi.push(vins.index(block.vin));
      perBlock.b.push(block.block);
      perBlock.mi.push(models.index(block.modelId));
      perBlock.cv.push(slots.add(block));
      perBlock.me.push(block.maxEventTimeMs());
      perBlock.mr.push(block.maxReceiveTimeMs());
      perBlock.ver.push(block.version);
    }
    const { rows } = await client.query<{ vin: string; block: number }>(WRITE_BLOCKS, [
      vins.values,
      models.values,
      writeTimeMs,
      slots.value.buffer,
      slots.eventTimeMs.buffer,
      slots.receiveTimeMs.buffer,
      slots.versionIndex.buffer,
      perBlock.vi,
      perBlock.b,
      perBlock.mi,
      perBlock.cv,
      perBlock.me,
      perBlock.mr,
      perBlock.ver,
    ]);
    const written = new Set(rows.map((w) => `${w.vin}\u0000${w.block}`));
    for (const block of part) {
      if (written.has(`${block.vin}\u0000${block.block}`)) block.version += 1;
      else missed.push(block);
    }
  }
  return missed;
}

/**
 * One-dimensional arrays in PostgreSQL's binary format (array_send): ndim, has-nulls flag, element type oid, length,
 * lower bound, then each element as length + big-endian bytes. pg sends a Buffer parameter as binary.
 */
class BinaryArray {
  readonly buffer: Buffer;
  private readonly view: DataView;
  private at = 20;

  constructor(
    length: number,
    elementOid: number,
    private readonly width: number,
  ) {
    this.buffer = Buffer.alloc(20 + length * (4 + width));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.view.setInt32(0, 1);
    this.view.setInt32(4, 0);
    this.view.setInt32(8, elementOid);
    this.view.setInt32(12, length);
    this.view.setInt32(16, 1);
  }

  float8(x: number): void {
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, x);
    this.at += 4 + this.width;
  }

  /** An integral number of ms (|x| < 2^53), or NONE for -Infinity. */
  int8(x: number): void {
    this.view.setInt32(this.at, 8);
    if (x === -Infinity) {
      this.view.setInt32(this.at + 4, -0x80000000);
      this.view.setUint32(this.at + 8, 0);
    } else {
      const high = Math.floor(x / 0x100000000);
      this.view.setInt32(this.at + 4, high);
      this.view.setUint32(this.at + 8, x - high * 0x100000000);
    }
    this.at += 4 + this.width;
  }

  int2(x: number): void {
    this.view.setInt32(this.at, 2);
    this.view.setInt16(this.at + 4, x);
    this.at += 4 + this.width;
  }
}

/** The slots of a statement's blocks; `add` returns the block's catalog_versions as an array literal. */
class SlotArrays {
  readonly value: BinaryArray;
  readonly eventTimeMs: BinaryArray;
  readonly receiveTimeMs: BinaryArray;
  readonly versionIndex: BinaryArray;

  constructor(length: number) {
    this.value = new BinaryArray(length, 701, 8);
    this.eventTimeMs = new BinaryArray(length, 20, 8);
    this.receiveTimeMs = new BinaryArray(length, 20, 8);
    this.versionIndex = new BinaryArray(length, 21, 2);
  }

  add(block: LatestBlock): string {
    const versions: string[] = [];
    for (let slot = 0; slot < N; slot++) {
      const time = block.eventTimeMs[slot]!;
      const empty = time === -Infinity;
      this.value.float8(empty ? 0 : block.value[slot]!);
      this.eventTimeMs.int8(time);
      this.receiveTimeMs.int8(empty ? -Infinity : block.receiveTimeMs[slot]!);
      let index = 0;
      if (!empty) {
        const version = block.catalogVersion[slot]!;
        index = versions.indexOf(version) + 1;
        if (index === 0) index = versions.push(version);
      }
      this.versionIndex.int2(index);
    }
    return `{${versions.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  }
}
