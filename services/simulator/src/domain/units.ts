/** Unit conversion for binding physics quantities (in canonical units) to signals declared in other units. */

const FACTORS: readonly Readonly<Record<string, number>>[] = [
  { 'km/h': 1, kph: 1, kmh: 1, 'm/s': 3.6, mph: 1.609344 },
  { kPa: 1, bar: 100, mbar: 0.1, hPa: 0.1, Pa: 0.001, psi: 6.894757 },
  { V: 1, mV: 0.001, kV: 1000 },
  { A: 1, mA: 0.001, kA: 1000 },
  { kW: 1, W: 0.001, MW: 1000 },
  { km: 1, m: 0.001, mi: 1.609344 },
  { kOhm: 1, kΩ: 1, kohm: 1, Ohm: 0.001, Ω: 0.001, ohm: 0.001, MOhm: 1000, MΩ: 1000, mOhm: 1e-6, mΩ: 1e-6 },
  { deg: 1, '°': 1, rad: 180 / Math.PI },
  { Nm: 1, kNm: 1000 },
  { h: 1, min: 1 / 60, s: 1 / 3600 },
];

/** `value` in `from` expressed in `to`; unchanged when either unit is unknown or they measure different things. */
export function convertUnit(value: number, from: string, to: string): number {
  if (from === to || to === '') return value;
  if (from === '°C') {
    if (to === 'K') return value + 273.15;
    if (to === '°F' || to === 'degF') return value * 1.8 + 32;
    return value;
  }
  for (const table of FACTORS) {
    const f = table[from];
    const t = table[to];
    if (f !== undefined && t !== undefined) return (value * f) / t;
  }
  return value;
}
