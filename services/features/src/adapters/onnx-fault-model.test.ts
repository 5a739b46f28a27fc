import { describe, expect, it } from 'vitest';
import { loadFaultModel, type FaultModelSource } from './onnx-fault-model.js';
import { logisticRegressionOnnx } from './onnx-format.js';

const source = (card: Record<string, unknown>): FaultModelSource => ({
  modelId: 'm',
  version: 1,
  vehicleModel: 'test',
  fault: 'any',
  featureSetId: 'set',
  featureSetVersion: 1,
  onnx: logisticRegressionOnnx({ means: [1], scales: [2], weights: [4], bias: -1 }),
  card,
});

describe('loadFaultModel', () => {
  it('scores with the graph and fills a missing value with the card mean', async () => {
    const model = await loadFaultModel(source({ inputs: [{ name: 'x', mean: 1 }] }), 1);
    expect(model.fillValues[0]).toBe(1);
    const [p] = await model.score(Float32Array.from([3]), 1);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-(4 * ((3 - 1) / 2) - 1))), 6);
  });

  it("takes the card's alerting hysteresis when it is whole and valid", async () => {
    const alerting = { raiseAt: 0.95, raiseWindows: 3, clearAt: 0.4 };
    expect((await loadFaultModel(source({ alerting }), 1)).alerting).toEqual(alerting);
    for (const bad of [
      { ...alerting, clearAt: 0.97 },
      { raiseAt: 0.9, raiseWindows: 3 },
      { ...alerting, raiseWindows: 0 },
      'high',
    ])
      expect((await loadFaultModel(source({ alerting: bad }), 1)).alerting).toBeUndefined();
    expect((await loadFaultModel(source({}), 1)).alerting).toBeUndefined();
  });
});
