// The gateway must judge exactly the message the decoder will decode. For arbitrary and mutated TelemetryBatch
// bytes: either the gateway rejects them, or protobufjs (the decoder's reader) decodes them to the same VIN, seq
// and frames the gateway accepted — never to something else.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TelemetryBatch, strictBytes } from '@telltale/platform/proto';
import { fuzzRuns } from '@telltale/platform/testing';
import { inspectUplink, type VehicleLookup } from './inspect-uplink.js';

const VIN = 'LRW3E7FS1RC000001';
const OTHER = 'LRW3E7FS1RC000002';
const topic = `tbox/${VIN}/telemetry`;
const vehicles: VehicleLookup = new Map([
  [VIN, { deviceId: 'tbox-1' }],
  [OTHER, { deviceId: 'tbox-2' }],
]);
const limits = { maxBatchBytes: 1 << 16, maxFrameBytes: 64 };

const uint32 = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffffffff }));

/** Mostly well-formed batches of VIN (so that the gateway accepts many before mutation), sometimes odd ones. */
const batch = fc
  .record({
    vin: fc.oneof(fc.constant(VIN), fc.constant(VIN), fc.constant(OTHER), fc.string({ maxLength: 20 })),
    seq: fc.oneof(fc.integer({ min: 1, max: 1000 }), uint32),
    deviceId: fc.oneof(fc.constant('tbox-1'), fc.constant(''), fc.string({ maxLength: 8 })),
    baseTimeMsEpoch: fc.oneof(fc.constant(1_763_700_000_000), fc.integer({ min: 0, max: 2 ** 53 - 1 })),
    backfill: fc.boolean(),
    catalogVersion: fc.string({ maxLength: 6 }),
    bootId: uint32,
    lengths: fc.array(fc.integer({ min: 0, max: 66 }), { maxLength: 12 }),
    other: fc.array(uint32, { maxLength: 12 }),
  })
  .map((b) => {
    const n = b.lengths.length;
    const col = (k: number) => Array.from({ length: n }, (_, i) => b.other[(i + k) % Math.max(1, b.other.length)] ?? 0);
    return TelemetryBatch.encode({
      vin: b.vin,
      seq: b.seq,
      deviceId: b.deviceId,
      baseTimeMsEpoch: b.baseTimeMsEpoch,
      backfill: b.backfill,
      catalogVersion: b.catalogVersion,
      bootId: b.bootId,
      frames: {
        timeOffsetUs: col(0),
        bus: col(1),
        canId: col(2),
        flags: col(3),
        length: b.lengths,
        data: new Uint8Array(b.lengths.reduce((a, x) => a + x, 0)),
      },
    }).finish();
  });

/** A raw field: any field number and wire type, with a varint, fixed or length-delimited body (maybe a batch). */
const rawField = fc
  .record({
    field: fc.integer({ min: 0, max: 12 }),
    wire: fc.integer({ min: 0, max: 7 }),
    body: fc.oneof(fc.uint8Array({ maxLength: 12 }), batch),
    asLength: fc.boolean(),
  })
  .map(({ field, wire, body, asLength }) => {
    const tag = varint(field * 8 + wire);
    return Uint8Array.from(asLength ? [...tag, ...varint(body.length), ...body] : [...tag, ...body]);
  });

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'cut'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'field'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('field' as const), at: fc.nat(), bytes: rawField }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'flip' && out.length > 0) out[at % out.length] = m.value;
    else if (m.kind === 'cut') out.splice(at, m.length);
    else if (m.kind === 'insert' || m.kind === 'field') {
      // Fields are appended at the end half of the time: that keeps the rest of the message parseable.
      const where = m.kind === 'field' && m.at % 2 === 0 ? out.length : at;
      out = [...out.slice(0, where), ...(m.kind === 'insert' ? m.bytes : m.bytes), ...out.slice(where)];
    }
  }
  return Uint8Array.from(out);
}

const stats = { accepted: 0, acceptedMutated: 0, total: 0 };

function gatewayAndDecoderAgree(bytes: Uint8Array, mutated: boolean): void {
  stats.total++;
  const verdict = inspectUplink(topic, bytes, vehicles, limits);
  if (!verdict.ok) return; // rejecting is always safe
  stats.accepted++;
  if (mutated) stats.acceptedMutated++;
  const decoded = TelemetryBatch.decode(strictBytes(bytes)); // must not throw on what the gateway accepted
  expect(decoded.vin).toBe(verdict.vin);
  expect(decoded.seq).toBe(verdict.seq);
  const f = decoded.frames;
  const n = f?.canId?.length ?? 0;
  expect(n).toBe(verdict.frameCount);
  for (const column of [f?.timeOffsetUs, f?.bus, f?.flags, f?.length]) expect(column?.length ?? 0).toBe(n);
  const lengths = f?.length ?? [];
  expect(lengths.reduce((a, x) => a + x, 0)).toBe(f?.data?.length ?? 0);
  expect(lengths.every((x) => x <= limits.maxFrameBytes)).toBe(true);
  expect(decoded.deviceId === '' || decoded.deviceId === 'tbox-1').toBe(true);
}

describe('inspectUplink vs the decoder (property)', () => {
  it('accepts only bytes that protobufjs decodes to the same VIN, seq and frames', () => {
    fc.assert(
      fc.property(batch, fc.array(mutation, { maxLength: 3 }), (bytes, mutations) => {
        gatewayAndDecoderAgree(bytes, false);
        if (mutations.length > 0) gatewayAndDecoderAgree(mutate(bytes, mutations), true);
      }),
      { numRuns: fuzzRuns(1500) },
    );
    // Not vacuous: well-formed batches are accepted, and some mutated ones too (appended valid fields, flips).
    expect(stats.accepted).toBeGreaterThan(stats.total / 20);
    expect(stats.acceptedMutated).toBeGreaterThan(0);
  });

  it('agrees on arbitrary bytes too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => gatewayAndDecoderAgree(bytes, true)),
      { numRuns: fuzzRuns(2000) },
    );
  });
});
