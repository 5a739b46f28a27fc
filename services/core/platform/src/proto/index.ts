/**
 * Generated protobuf contracts (see proto/ and `npm run proto:gen`). Wire types stop at adapters: domain code
 * receives plain data built from these.
 */
import './numbers-not-long.js';
import { telltale } from './gen/telltale.js';

export { telltale };

export const TelemetryBatch = telltale.uplink.v1.TelemetryBatch;
export type TelemetryBatch = telltale.uplink.v1.TelemetryBatch;
export type ITelemetryBatch = telltale.uplink.v1.ITelemetryBatch;
export const CanFrames = telltale.uplink.v1.CanFrames;
export type ICanFrames = telltale.uplink.v1.ICanFrames;
export const FrameFlag = telltale.uplink.v1.FrameFlag;

export const SignalBatch = telltale.signals.v1.SignalBatch;
export type SignalBatch = telltale.signals.v1.SignalBatch;
export type ISignalBatch = telltale.signals.v1.ISignalBatch;

export const Alert = telltale.alerts.v1.Alert;
export type Alert = telltale.alerts.v1.Alert;
export type IAlert = telltale.alerts.v1.IAlert;
export const Severity = telltale.alerts.v1.Severity;
export const AlertState = telltale.alerts.v1.AlertState;

export const FeatureVector = telltale.features.v1.FeatureVector;
export type FeatureVector = telltale.features.v1.FeatureVector;
export type IFeatureVector = telltale.features.v1.IFeatureVector;

/**
 * protobufjs reads Node Buffers with a reader that silently clamps a truncated string or bytes field to the end of
 * the input; plain Uint8Arrays get the strict reader, which throws. Decode untrusted input through this view.
 */
export function strictBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}
export {
  encodeSignalBatch,
  decodeSignalBatch,
  eventTimeUs,
  type SignalColumns,
  type DecodedSignalColumns,
} from './signal-columns.js';
export { WireReader } from './wire.js';
export { scanTelemetryBatch, type TelemetryBatchHeader } from './scan-telemetry-batch.js';
