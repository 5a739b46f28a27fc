/**
 * A fault model served with ONNX Runtime (CPU). Any binary classifier exported to ONNX can be deployed if it takes
 * one float tensor [N, features] in the feature set's order and gives the fault probability as an output named
 * `probability` ([N] or [N, 1]), `probabilities` ([N, 2], class 1 taken, as skl2onnx writes with zipmap off), or as
 * its only output. The model card may give `inputs: [{ name, mean }]`: the means stand in for features with no value
 * in a window; otherwise 0. It may give `alerting: { raiseAt, raiseWindows, clearAt }`: the model's own hysteresis
 * (probabilities of different models are not on one scale); otherwise the service's configured one applies.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { TelltaleError } from '@telltale/platform';
import { validateHysteresis, type HysteresisSettings } from '../domain/hysteresis.js';
import type { FaultModelRuntime } from '../pipeline/ports.js';

export interface FaultModelSource {
  readonly modelId: string;
  readonly version: number;
  readonly vehicleModel: string;
  readonly fault: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  readonly onnx: Uint8Array;
  readonly card: Readonly<Record<string, unknown>>;
}

export async function loadFaultModel(source: FaultModelSource, featureCount: number): Promise<FaultModelRuntime> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(source.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    throw new TelltaleError(
      'FAULT_MODEL_INVALID',
      `Model ${source.modelId} v${source.version} does not load in ONNX Runtime: ${(cause as Error).message}`,
      { cause, details: { modelId: source.modelId, version: source.version } },
    );
  }
  const input = session.inputNames[0];
  const output =
    session.outputNames.find((n) => n === 'probability') ??
    session.outputNames.find((n) => n === 'probabilities') ??
    (session.outputNames.length === 1 ? session.outputNames[0] : undefined);
  if (input === undefined || output === undefined)
    throw new TelltaleError(
      'FAULT_MODEL_INVALID',
      `Model ${source.modelId} v${source.version} needs one input and an output named probability or ` +
        `probabilities (has ${session.outputNames.join(', ')})`,
    );
  const fillValues = new Float32Array(featureCount);
  const inputs = Array.isArray(source.card.inputs) ? (source.card.inputs as { mean?: unknown }[]) : [];
  inputs.forEach((entry, i) => {
    if (i < featureCount && typeof entry.mean === 'number') fillValues[i] = entry.mean;
  });
  const alerting = cardAlerting(source.card.alerting);
  return {
    modelId: source.modelId,
    version: source.version,
    vehicleModel: source.vehicleModel,
    fault: source.fault,
    featureSetId: source.featureSetId,
    featureSetVersion: source.featureSetVersion,
    fillValues,
    ...(alerting === undefined ? {} : { alerting }),
    score: async (rows, n) => {
      const result = await session.run({ [input]: new Tensor('float32', rows, [n, featureCount]) });
      const tensor = result[output]!;
      const data = tensor.data as Float32Array;
      const columns = tensor.dims.length === 2 ? Number(tensor.dims[1]) : 1;
      if (columns === 1) return Float32Array.from(data);
      return Float32Array.from({ length: n }, (_, r) => data[r * columns + 1]!);
    },
  };
}

/**
 * The card's `alerting: { raiseAt, raiseWindows, clearAt }` (what `telltale model train` chose for this model's
 * probabilities), when whole and valid; otherwise undefined and the service's configured hysteresis applies.
 */
function cardAlerting(value: unknown): HysteresisSettings | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { raiseAt, raiseWindows, clearAt } = value as Record<string, unknown>;
  if (typeof raiseAt !== 'number' || typeof raiseWindows !== 'number' || typeof clearAt !== 'number') return undefined;
  const settings = { raiseAt, raiseWindows, clearAt };
  return validateHysteresis(settings) === undefined ? settings : undefined;
}
