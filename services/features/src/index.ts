/**
 * @telltale/features: the features service — event-time feature windows per vehicle over vehicle.signals.v1,
 * FeatureVectors to vehicle.features.v1 and the Redis online store, fault-model inference (ONNX Runtime) and
 * predictive alerts. See README.md.
 */
export { startFeatures, runFeatures, type RunningFeatures } from './main.js';
export { FeaturesConfig } from './config.js';
export {
  encodeOnnxModel,
  logisticMixtureOnnx,
  logisticRegressionOnnx,
  type OnnxGraph,
  type OnnxNode,
} from './adapters/onnx-format.js';
export { loadFaultModel, type FaultModelSource } from './adapters/onnx-fault-model.js';
export { WINDOW_ID_HEADER, windowId } from './adapters/kafka-feature-vectors.js';
export { stepHysteresis, initialHysteresis, validateHysteresis, type HysteresisSettings } from './domain/hysteresis.js';
export type { FaultModelRuntime } from './pipeline/ports.js';
