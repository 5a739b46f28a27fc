/**
 * @telltale/simulator: virtual T-Boxes for the platform. A fleet of simulated vehicles (physics, fault scenarios,
 * store-and-forward) publishing TelemetryBatches over MQTT, a flood load generator for the gateway, and a candump
 * log replayer. See README.md.
 */
export {
  MessageEncoder,
  multiplexPages,
  signalSegments,
  planSignal,
  writeSignal,
  writeRaw,
  type MultiplexPage,
  type SignalPlan,
} from './domain/encode.js';
export { buildSimModel, vehicleSpecFor, type SimModel, type SimMessage } from './domain/model.js';
export { VehicleSimulator, TICK_US, type VehicleOptions } from './domain/vehicle.js';
export { VehiclePhysics, AURORA_SPEC, VAN_SPEC, type PhysicsState, type VehicleSpec } from './domain/physics.js';
export { NAME_RULES, aliasQuantity, bindSignal, type SignalSource } from './domain/bindings.js';
export { FrameBuffer, type FrameColumns } from './domain/frames.js';
export { BatchSealer, type UplinkBatch, type DeviceHeader } from './domain/batch.js';
export { UplinkQueue, type QueuedUplink } from './domain/uplink-queue.js';
export {
  FAULT_KINDS,
  SLOW_FAULT_KINDS,
  startSlowFault,
  DEFAULT_DTC_CODE,
  parseFaultSpec,
  parseVehicleSelection,
  selectVehicles,
  resolveFault,
  assignFaults,
  describeFault,
  type FaultKind,
  type FaultSpec,
  type ResolvedFault,
  type VehicleSelection,
} from './domain/faults.js';
export {
  simulatedIdentities,
  simulatedVin,
  simulatedSecret,
  simulatedFleetId,
  randomSeed,
  MIN_SECRET_SEED_LENGTH,
  parseCredentialsCsv,
  vinCheckDigit,
  type DeviceIdentity,
} from './domain/identity.js';
export {
  parseCandumpLine,
  parseBusMap,
  busIndexOf,
  LogWindower,
  type CandumpFrame,
  type CandumpLine,
  type LogWindow,
} from './domain/candump.js';
export { LatencyHistogram } from './domain/latency.js';
export { Rng } from './domain/rng.js';
export { encodeUplink } from './adapters/uplink-codec.js';
export {
  runFleet,
  uplinkTopic,
  type FleetOptions,
  type FleetProgress,
  type FleetSummary,
  type Outage,
} from './adapters/fleet.js';
export {
  runFlood,
  floodSeqStart,
  floodTemplates,
  FLOOD_SEQ_MIN,
  type FloodOptions,
  type FloodProgress,
  type FloodSummary,
} from './adapters/flood.js';
export { replayCandump, type ReplayOptions, type ReplayProgress, type ReplaySummary } from './adapters/replay.js';
export { provisionFleet, type ProvisionOptions, type ProvisionResult } from './adapters/provision.js';
export { loadSimModel, resolveModelDir, catalogRoot } from './adapters/model-source.js';
