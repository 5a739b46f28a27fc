/** Lithium-ion cell characteristics used by the physics model (NMC chemistry, typical automotive pouch cell). */

/** Open-circuit voltage of an NMC cell vs state of charge (% → V), from published NMC622 curves. */
const OCV_TABLE: readonly (readonly [number, number])[] = [
  [0, 3.0],
  [2, 3.3],
  [5, 3.45],
  [10, 3.55],
  [15, 3.6],
  [20, 3.63],
  [30, 3.68],
  [40, 3.73],
  [50, 3.78],
  [60, 3.85],
  [70, 3.93],
  [80, 4.01],
  [90, 4.09],
  [95, 4.13],
  [100, 4.18],
];

/** Open-circuit voltage (V) at `socPct`, linear between table points, clamped to 0..100 %. */
export function openCircuitVoltage(socPct: number): number {
  const soc = socPct < 0 ? 0 : socPct > 100 ? 100 : socPct;
  for (let i = 1; i < OCV_TABLE.length; i++) {
    const [s1, v1] = OCV_TABLE[i]!;
    if (soc <= s1) {
      const [s0, v0] = OCV_TABLE[i - 1]!;
      return v0 + ((v1 - v0) * (soc - s0)) / (s1 - s0);
    }
  }
  return OCV_TABLE[OCV_TABLE.length - 1]![1];
}

/** Internal resistance grows when cold (Arrhenius-like): ×1 at 25 °C, ×~2.5 at −5 °C, ×~0.75 at 40 °C. */
export function resistanceFactor(tempC: number): number {
  const f = Math.exp(0.03 * (25 - tempC));
  return f < 0.6 ? 0.6 : f > 4 ? 4 : f;
}
