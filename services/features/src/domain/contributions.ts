/**
 * Which features made a model's probability high, for any binary classifier (the ONNX graph is a black box): each
 * feature in turn is replaced by the model's fill value (its training mean) and the row scored again; a feature's
 * contribution is p(row) − p(row without it). One scoring call of features + 1 rows, made only when an alert is
 * raised.
 */
export interface Scorer {
  readonly fillValues: Float32Array;
  score(rows: Float32Array, n: number): Promise<Float32Array>;
}

export interface Contribution {
  readonly name: string;
  readonly value: number;
  readonly contribution: number;
}

export async function topContributions(
  model: Scorer,
  values: Float64Array,
  names: readonly string[],
  k: number,
): Promise<Contribution[]> {
  const width = model.fillValues.length;
  const rows = new Float32Array((width + 1) * width);
  for (let r = 0; r <= width; r++) {
    for (let f = 0; f < width; f++) {
      const v = values[f]!;
      rows[r * width + f] = r - 1 === f || v !== v ? model.fillValues[f]! : v;
    }
  }
  const p = await model.score(rows, width + 1);
  const base = p[0]!;
  return Array.from({ length: width }, (_, f) => ({
    name: names[f] ?? `feature_${f}`,
    value: values[f]!,
    contribution: base - p[f + 1]!,
  }))
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, k);
}
