/**
 * Which physics quantity drives which catalog signal. A signal is bound, in this order, by:
 *  1. the model's manifest aliases (`vehicleSpeed`, `soc`, `cellVoltageMin`, ...: model-independent names),
 *  2. name patterns common to production matrices (`CellVoltage_017`, `*_WheelSpeedFL`, `INVR_StatorTempMax`, ...),
 *  3. its shape: E2E counters count, E2E CRCs are computed (see crc.ts), enumerations hold a nominal label, flags
 *     and fault/DTC fields hold 0 (or GenSigStartValue), other unit-less fields hold their start value, and
 *     physical quantities take a bounded random walk around a plausible value for their unit and range.
 *
 * Plans are data built once per model (regex matching 8,000 names is not free); each vehicle instantiates them with
 * its own random-walk state.
 */
import type { Message, Signal } from '../core-api.js';
import type { PhysicsState } from './physics.js';
import { convertUnit } from './units.js';

export type Quantity = (s: PhysicsState) => number;
export type LabelQuantity = (s: PhysicsState) => string;

export type SignalSource =
  /** A physics quantity (already converted to the signal's unit). */
  | { readonly kind: 'physics'; readonly read: Quantity; readonly rule: string }
  /** A bounded random walk: baseline(s) + deviation, deviation an OU process within ±amplitude. */
  | {
      readonly kind: 'walk';
      readonly baseline: Quantity;
      readonly amplitude: number;
      readonly low: number;
      readonly high: number;
      /** Per-vehicle spread of the baseline, drawn once (fraction of amplitude). */
      readonly spread: number;
    }
  | { readonly kind: 'constant'; readonly value: number }
  /** E2E alive counter: +1 per frame, modulo `modulo` (raw). */
  | { readonly kind: 'counter'; readonly modulo: number }
  /** E2E CRC-8 over the frame (computed after everything else is written). */
  | { readonly kind: 'crc' }
  /** A multiplexer switch: its value comes from the page being sent. */
  | { readonly kind: 'switch' };

export interface MessagePlan {
  readonly sources: readonly SignalSource[];
  /** Index of the counter signal, or -1. */
  readonly counter: number;
  /** Index of an 8-bit byte-aligned CRC signal, or -1. */
  readonly crc: number;
  /** Indexes of the signals of each kind that change over time (constants are written once). */
  readonly physics: Uint16Array;
  readonly walks: Uint16Array;
}

export interface BindingContext {
  /** `<bus>/<message>/<signal>` → alias, from the manifest. */
  readonly aliasOf: ReadonlyMap<string, string>;
  readonly busName: string;
  /** Number of motors (front first). */
  readonly motors: number;
  /** Number of cell temperature sensors the pack reports (CellTemp_N). */
  readonly cellTempSensors: number;
  readonly cells: number;
}

// ---- helpers ----

const WHEEL_INDEX: Readonly<Record<string, number>> = { FL: 0, FR: 1, RL: 2, RR: 3 };

/** Raw value of a VAL_ label, or undefined. */
export function rawOfLabel(signal: Signal, label: string): number | undefined {
  for (const [raw, text] of signal.choices) if (text === label) return Number(raw);
  return undefined;
}

const physicalOfRaw = (signal: Signal, raw: number): number => raw * signal.scale + signal.offset;

/** Labels a healthy ECU reports, most specific first. */
const NOMINAL_LABELS = [
  'Running',
  'Normal',
  'OK',
  'Ok',
  'Valid',
  'Closed',
  'Locked',
  'Off',
  'No',
  'None',
  'Inactive',
  'Idle',
  'Standby',
  'NotConnected',
  'Unplugged',
  'Released',
  'NoSeverity',
  'Comfort',
  'Auto',
  'Disabled',
  'NotActive',
  'Normal',
];

function nominalRaw(signal: Signal): number {
  if (signal.initialRawValue !== undefined) return signal.initialRawValue;
  for (const label of NOMINAL_LABELS) {
    const raw = rawOfLabel(signal, label);
    if (raw !== undefined) return raw;
  }
  const keys = [...signal.choices.keys()]
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return keys[0] ?? 0;
}

/** The physical range a signal can carry: its DBC min/max when they say something, else its raw range. */
export function physicalRange(signal: Signal): [number, number] {
  if (signal.minimum !== undefined && signal.maximum !== undefined && signal.minimum < signal.maximum)
    return [signal.minimum, signal.maximum];
  if (signal.valueType !== 'integer') return [-1e6, 1e6];
  const bits = Math.min(signal.length, 52);
  const rawLow = signal.isSigned ? -(2 ** (bits - 1)) : 0;
  const rawHigh = signal.isSigned ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const a = physicalOfRaw(signal, rawLow);
  const b = physicalOfRaw(signal, rawHigh);
  return a < b ? [a, b] : [b, a];
}

const clampTo = (signal: Signal, value: number): number => {
  const [low, high] = physicalRange(signal);
  return Math.min(high, Math.max(low, value));
};

// ---- rules ----

interface Rule {
  readonly name: string;
  readonly test: RegExp;
  /** Canonical unit of the quantity (converted to the signal's unit). */
  readonly unit?: string;
  readonly value?: (s: PhysicsState, m: RegExpMatchArray, ctx: BindingContext, signal: Signal) => number;
  /** For enumerations: the label to send (converted through VAL_). */
  readonly label?: (s: PhysicsState, m: RegExpMatchArray, ctx: BindingContext) => string;
}

const motorOf = (name: string, ctx: BindingContext): number => {
  if (ctx.motors <= 1) return 0;
  if (/^INVF|Front|_F_|MotorF/.test(name)) return 0;
  return ctx.motors - 1;
};

const indexFrom = (m: RegExpMatchArray, group = 1): number => Number(m[group]) - 1;
const at = (array: Float64Array, i: number): number => array[Math.min(Math.max(i, 0), array.length - 1)] ?? 0;

/** A temperature sensor: one per cell, or spread evenly over the cells (the mean of its group). */
function cellTempSensor(s: PhysicsState, sensor: number, ctx: BindingContext): number {
  const n = s.cellTempC.length;
  if (ctx.cellTempSensors >= n) return at(s.cellTempC, sensor);
  const from = Math.floor((sensor * n) / ctx.cellTempSensors);
  const to = Math.max(from + 1, Math.floor(((sensor + 1) * n) / ctx.cellTempSensors));
  let max = -Infinity;
  for (let i = from; i < to && i < n; i++) max = Math.max(max, s.cellTempC[i]!);
  return Number.isFinite(max) ? max : s.cellTempAvgC;
}

const ALIAS_RULES: Readonly<Record<string, Omit<Rule, 'test'>>> = {
  vehicleSpeed: { name: 'alias vehicleSpeed', unit: 'km/h', value: (s) => s.speedKmh },
  gear: { name: 'alias gear', label: (s) => s.gear },
  readyToDrive: { name: 'alias readyToDrive', value: (s) => (s.ready ? 1 : 0) },
  odometer: { name: 'alias odometer', unit: 'km', value: (s) => s.odometerKm },
  soc: { name: 'alias soc', unit: '%', value: (s) => s.socPct },
  packVoltage: { name: 'alias packVoltage', unit: 'V', value: (s) => s.packVoltageV },
  packCurrent: { name: 'alias packCurrent', unit: 'A', value: (s) => s.packCurrentA },
  cellVoltageMin: { name: 'alias cellVoltageMin', unit: 'V', value: (s) => s.cellVoltageMinV },
  cellVoltageMax: { name: 'alias cellVoltageMax', unit: 'V', value: (s) => s.cellVoltageMaxV },
  cellTemperatureMin: { name: 'alias cellTemperatureMin', unit: '°C', value: (s) => s.cellTempMinC },
  cellTemperatureMax: { name: 'alias cellTemperatureMax', unit: '°C', value: (s) => s.cellTempMaxC },
  insulationResistance: { name: 'alias insulationResistance', unit: 'kOhm', value: (s) => s.insulationKohm },
  motorTemperature: {
    name: 'alias motorTemperature',
    unit: '°C',
    value: (s) => at(s.motorTempC, s.motorTempC.length - 1),
  },
  motorTemperatureFront: { name: 'alias motorTemperatureFront', unit: '°C', value: (s) => at(s.motorTempC, 0) },
  inverterTemperature: {
    name: 'alias inverterTemperature',
    unit: '°C',
    value: (s) => at(s.inverterTempC, s.inverterTempC.length - 1),
  },
  inverterTemperatureFront: {
    name: 'alias inverterTemperatureFront',
    unit: '°C',
    value: (s) => at(s.inverterTempC, 0),
  },
  coolantTemperature: { name: 'alias coolantTemperature', unit: '°C', value: (s) => s.motorCoolantC },
  brakePressure: { name: 'alias brakePressure', unit: 'bar', value: (s) => s.brakePressureBar },
  tyrePressureFrontLeft: { name: 'alias tyrePressureFrontLeft', unit: 'kPa', value: (s) => s.tyrePressureKpa[0]! },
  tyrePressureFrontRight: { name: 'alias tyrePressureFrontRight', unit: 'kPa', value: (s) => s.tyrePressureKpa[1]! },
  tyrePressureRearLeft: { name: 'alias tyrePressureRearLeft', unit: 'kPa', value: (s) => s.tyrePressureKpa[2]! },
  tyrePressureRearRight: { name: 'alias tyrePressureRearRight', unit: 'kPa', value: (s) => s.tyrePressureKpa[3]! },
  lowVoltageBatteryVoltage: { name: 'alias lowVoltageBatteryVoltage', unit: 'V', value: (s) => s.lvBatteryV },
  chargingState: { name: 'alias chargingState', label: (s) => s.chargeState },
  chargingPower: { name: 'alias chargingPower', unit: 'kW', value: (s) => s.chargePowerKw },
  ambientTemperature: { name: 'alias ambientTemperature', unit: '°C', value: (s) => s.ambientC },
  latitude: { name: 'alias latitude', unit: 'deg', value: (s) => s.latitudeDeg },
  longitude: { name: 'alias longitude', unit: 'deg', value: (s) => s.longitudeDeg },
  cargoTemperature: { name: 'alias cargoTemperature', unit: '°C', value: (s) => 4 + 0.4 * Math.sin(s.timeS / 90) },
};

/** Name patterns, first match wins. Exported for the README's table and tests. */
export const NAME_RULES: readonly Rule[] = [
  // Battery cells (BMS multiplexed frames) and their statistics.
  {
    name: 'cell voltage',
    test: /(?:^|_)CellVoltage_(\d+)$/,
    unit: 'V',
    value: (s, m) => at(s.cellVoltageV, indexFrom(m)),
  },
  {
    name: 'cell temperature',
    test: /(?:^|_)CellTemp_(\d+)$/,
    unit: '°C',
    value: (s, m, ctx) => cellTempSensor(s, indexFrom(m), ctx),
  },
  { name: 'cell SOC', test: /(?:^|_)CellSoc_(\d+)$/, unit: '%', value: (s, m) => at(s.cellSocPct, indexFrom(m)) },
  {
    name: 'cell balancing',
    test: /(?:^|_)CellBalancing_(\d+)$/,
    value: (s, m) => (at(s.cellVoltageV, indexFrom(m)) > s.cellVoltageAvgV + 0.012 ? 1 : 0),
  },
  {
    name: 'cell self-discharge',
    test: /(?:^|_)CellSelfDischarge_(\d+)$/,
    unit: 'uA',
    value: (s, m) => (at(s.cellVoltageV, indexFrom(m)) < s.cellVoltageAvgV - 0.03 ? 480 : 18 + (indexFrom(m) % 7) * 2),
  },
  {
    name: 'cell SOH',
    test: /(?:^|_)CellSoh_(\d+)$/,
    unit: '%',
    value: (s, m) => s.sohPct + ((indexFrom(m) * 37) % 11) / 10 - 0.5,
  },
  { name: 'cell voltage min', test: /CellVoltageMin$|CellVMin$/, unit: 'V', value: (s) => s.cellVoltageMinV },
  { name: 'cell voltage max', test: /CellVoltageMax$|CellVMax$/, unit: 'V', value: (s) => s.cellVoltageMaxV },
  { name: 'cell voltage avg', test: /CellVoltageAvg$/, unit: 'V', value: (s) => s.cellVoltageAvgV },
  {
    name: 'cell voltage delta',
    test: /CellVoltageDelta$/,
    unit: 'V',
    value: (s) => s.cellVoltageMaxV - s.cellVoltageMinV,
  },
  { name: 'cell voltage min id', test: /CellVoltageMinId$/, value: (s) => s.cellVoltageMinId },
  { name: 'cell voltage max id', test: /CellVoltageMaxId$/, value: (s) => s.cellVoltageMaxId },
  { name: 'cell temperature min', test: /CellTempMin$/, unit: '°C', value: (s) => s.cellTempMinC },
  { name: 'cell temperature max', test: /CellTempMax$/, unit: '°C', value: (s) => s.cellTempMaxC },
  { name: 'cell temperature avg', test: /CellTempAvg$/, unit: '°C', value: (s) => s.cellTempAvgC },
  { name: 'cell temperature min id', test: /CellTempMinId$/, value: (s) => s.cellTempMinId },
  { name: 'cell temperature max id', test: /CellTempMaxId$/, value: (s) => s.cellTempMaxId },
  {
    name: 'module voltage',
    test: /ModuleVoltage_(\d+)$|^CMU(\d+)_(?:ModuleVoltage|StackVoltage)$/,
    unit: 'V',
    value: (s, m) => at(s.moduleVoltageV, Number(m[1] ?? m[2]) - 1),
  },
  {
    name: 'module temperature sensor',
    test: /ModuleTemp_(\d+)_S(\d+)$/,
    unit: '°C',
    value: (s, m) => at(s.moduleTempC, indexFrom(m)) + (Number(m[2]) - 2.5) * 0.3,
  },
  {
    name: 'module temperature max',
    test: /ModuleTempMax_(\d+)$/,
    unit: '°C',
    value: (s, m) => at(s.moduleTempMaxC, indexFrom(m)),
  },
  {
    name: 'module electronics temperature',
    test: /^CMU(\d+)_(?:PcbTemp|BalanceResTemp|BusbarTemp\w*)$/,
    unit: '°C',
    value: (s, m) => at(s.moduleTempC, indexFrom(m)) + 4,
  },
  // Pack.
  { name: '12 V battery SOC', test: /BatterySoc$/, unit: '%', value: (s) => (s.lvBatteryV > 13 ? 92 : 85) },
  { name: 'SOC min', test: /SocMin$/, unit: '%', value: (s) => Math.min(...s.cellSocPct) },
  { name: 'SOC max', test: /SocMax$/, unit: '%', value: (s) => Math.max(...s.cellSocPct) },
  { name: 'SOC', test: /(?:^BMS_|_)Soc(?:Displayed|Actual)?$/, unit: '%', value: (s) => s.socPct },
  { name: 'SOH', test: /(?:^BMS_|_)Soh(?:Capacity)?$/, unit: '%', value: (s) => s.sohPct },
  { name: 'SOH resistance', test: /SohResistance$/, unit: '%', value: (s) => s.sohPct + 2 },
  { name: 'energy remaining', test: /EnergyRemaining$/, unit: 'kWh', value: (s) => s.energyRemainingKwh },
  { name: 'energy full', test: /EnergyFull$/, unit: 'kWh', value: (s) => s.energyFullKwh },
  {
    name: 'pack voltage',
    test: /PackVoltage$|LinkVoltage$|^DCDC_HvVoltage$|^INV\w*_DcVoltage$|^OBC_DcVoltage$/,
    unit: 'V',
    value: (s) => s.packVoltageV,
  },
  { name: 'pack current', test: /PackCurrent$|^CSU_Current(?:Shunt|Hall)$/, unit: 'A', value: (s) => s.packCurrentA },
  { name: 'pack power', test: /PackPower$/, unit: 'kW', value: (s) => s.packPowerKw },
  {
    name: 'insulation',
    test: /^IMD_Resistance(?:Pos|Neg)$|IsolationResistance$/,
    unit: 'kOhm',
    value: (s) => s.insulationKohm * 1.15,
  },
  {
    name: 'contactor',
    test: /(?:MainPositive|MainNegative|Contactors|ContactorState)$/,
    label: (s) => (s.ready || s.chargeState === 'ChargingDC' ? 'Closed' : 'Open'),
  },
  {
    name: 'DC charge contactor',
    test: /DcCharge(?:Positive|Negative)$/,
    label: (s) => (s.chargeState === 'ChargingDC' ? 'Closed' : 'Open'),
  },
  {
    name: 'battery coolant',
    test: /^BMS_CoolantInTemp$|TempBatteryLoopIn$|TempChillerOut$/,
    unit: '°C',
    value: (s) => s.batteryCoolantC,
  },
  {
    name: 'battery coolant out',
    test: /^BMS_CoolantOutTemp$|TempBatteryLoopOut$|TempChillerIn$/,
    unit: '°C',
    value: (s) => s.batteryCoolantC + Math.abs(s.packPowerKw) / 60 + 0.5,
  },
  // Drive.
  { name: 'vehicle speed', test: /VehicleSpeed$|VehSpeed$/, unit: 'km/h', value: (s) => s.speedKmh },
  {
    name: 'wheel speed',
    test: /WheelSpeed(FL|FR|RL|RR)$/,
    unit: 'km/h',
    value: (s, m) => s.speedKmh * (1 + (WHEEL_INDEX[m[1]!]! - 1.5) * 0.002),
  },
  { name: 'odometer', test: /Odometer$/, unit: 'km', value: (s) => s.odometerKm },
  { name: 'trip', test: /Trip(?:A|Distance)$/, unit: 'km', value: (s) => s.tripKm },
  { name: 'gear', test: /Gear(?:Actual|Target|Position)?$|GearLever$/, label: (s) => s.gear },
  { name: 'ready', test: /ReadyToDrive$|_Ready$/, value: (s) => (s.ready ? 1 : 0) },
  { name: 'power mode', test: /PowerMode$/, label: (s) => s.powerMode },
  { name: 'accelerator pedal', test: /AccelPedal(?:Pos|Position)?$/, unit: '%', value: (s) => s.accelPedalPct },
  {
    name: 'brake pressed',
    test: /BrakePedalPressed$|BrakeSwitch$|BrakeLightOn$/,
    value: (s) => (s.brakePressed ? 1 : 0),
  },
  {
    name: 'brake pedal travel',
    test: /BrakePedalTravel$/,
    unit: 'mm',
    value: (s) => Math.min(40, s.brakePressureBar * 0.35),
  },
  {
    name: 'brake pressure',
    test: /MasterCylPressure$|BrakePressure$|WheelPressure(?:FL|FR)$/,
    unit: 'bar',
    value: (s) => s.brakePressureBar,
  },
  { name: 'rear brake pressure', test: /WheelPressure(?:RL|RR)$/, unit: 'bar', value: (s) => s.brakePressureBar * 0.7 },
  { name: 'longitudinal acceleration', test: /LongAccel$|AccelX$/, unit: 'm/s²', value: (s) => s.accelMps2 },
  { name: 'lateral acceleration', test: /LatAccel$|AccelY$/, unit: 'm/s²', value: (s) => s.latAccelMps2 },
  { name: 'vertical acceleration', test: /AccelZ$/, unit: 'm/s²', value: () => 9.81 },
  { name: 'yaw rate', test: /YawRate$/, unit: 'deg/s', value: (s) => s.yawRateDps },
  { name: 'steering angle', test: /Steer(?:ing)?(?:Wheel)?Angle$/, unit: 'deg', value: (s) => s.steeringAngleDeg },
  { name: 'latitude', test: /Latitude$/, unit: 'deg', value: (s) => s.latitudeDeg },
  { name: 'longitude', test: /Longitude$/, unit: 'deg', value: (s) => s.longitudeDeg },
  { name: 'heading', test: /^TCU_Heading$|GnssHeading$/, unit: 'deg', value: (s) => s.headingDeg },
  { name: 'motor speed', test: /MotorSpeed$/, unit: 'rpm', value: (s) => s.motorSpeedRpm },
  {
    name: 'motor torque',
    test: /^INV\w*_Torque(?:Actual)?$/,
    unit: 'Nm',
    value: (s, _m, ctx, signal) => at(s.motorTorqueNm, motorOf(signal.name, ctx)),
  },
  {
    name: 'motor power',
    test: /^INV\w*_MechPower$/,
    unit: 'kW',
    value: (s, _m, ctx, signal) => at(s.motorPowerKw, motorOf(signal.name, ctx)),
  },
  {
    name: 'motor current',
    test: /^INV\w*_DcCurrent$/,
    unit: 'A',
    value: (s, _m, ctx, signal) => at(s.motorCurrentA, motorOf(signal.name, ctx)),
  },
  { name: 'inverter mode', test: /^INV\w*_Mode$/, label: (s) => (s.ready ? 'TorqueControl' : 'Standby') },
  { name: 'traction power', test: /TractionPower$/, unit: 'kW', value: (s) => s.packPowerKw - s.auxPowerKw },
  { name: 'auxiliary power', test: /AuxPower$/, unit: 'kW', value: (s) => s.auxPowerKw },
  {
    name: 'instant consumption',
    test: /ConsumptionInst$/,
    unit: 'kWh/100km',
    value: (s) => (s.speedKmh > 5 ? (s.packPowerKw / s.speedKmh) * 100 : 0),
  },
  { name: 'range', test: /RangeEstimate$/, unit: 'km', value: (s) => s.rangeKm },
  // Thermal.
  {
    name: 'stator temperature',
    test: /^(INV\w*)_(?:StatorTemp(\d|Max)?|MotorTemp)$/,
    unit: '°C',
    value: (s, m, ctx, signal) =>
      at(s.motorTempC, motorOf(signal.name, ctx)) - (m[2] && m[2] !== 'Max' ? Number(m[2]) : 0),
  },
  {
    name: 'rotor temperature',
    test: /RotorTempEst$/,
    unit: '°C',
    value: (s, _m, ctx, signal) => at(s.motorTempC, motorOf(signal.name, ctx)) + 6,
  },
  {
    name: 'IGBT temperature',
    test: /^(INV\w*)_IgbtTemp(\w*)$/,
    unit: '°C',
    value: (s, m, ctx, signal) =>
      at(s.inverterTempC, motorOf(signal.name, ctx)) - (m[2]?.endsWith('Low') ? 3 : m[2] === 'Max' ? 0 : 1),
  },
  {
    name: 'inverter electronics temperature',
    test: /^INV\w*_(?:GateDriverTemp|DcLinkCapTemp)$/,
    unit: '°C',
    value: (s, _m, ctx, signal) => at(s.inverterTempC, motorOf(signal.name, ctx)) - 8,
  },
  {
    name: 'gear oil temperature',
    test: /GearOilTemp$/,
    unit: '°C',
    value: (s) => at(s.motorTempC, s.motorTempC.length - 1) - 12,
  },
  {
    name: 'motor coolant',
    test: /^INV\w*_CoolantIn(?:Temp)?$|^INV_CoolantTemp$|TempMotorLoopIn$|TempInverter\w*In$|TempObcIn$/,
    unit: '°C',
    value: (s) => s.motorCoolantC,
  },
  {
    name: 'motor coolant out',
    test: /TempMotorLoopOut$|TempRadiatorIn$/,
    unit: '°C',
    value: (s) => s.motorCoolantC + 2.5,
  },
  {
    name: 'radiator out',
    test: /TempRadiatorOut$/,
    unit: '°C',
    value: (s) => Math.max(s.ambientC, s.motorCoolantC - 4),
  },
  { name: 'ambient temperature', test: /AmbientTemp$|OutsideTemp$/, unit: '°C', value: (s) => s.ambientC },
  {
    name: 'tyre pressure',
    test: /(?:Tyre|Tire|TPMS_)Pressure(FL|FR|RL|RR)$/,
    unit: 'kPa',
    value: (s, m) => s.tyrePressureKpa[WHEEL_INDEX[m[1]!]!]!,
  },
  {
    name: 'tyre temperature',
    test: /(?:Tyre|Tire|TPMS_)Temp(FL|FR|RL|RR)$/,
    unit: '°C',
    value: (s, m) => s.tyreTempC[WHEEL_INDEX[m[1]!]!]!,
  },
  // 12 V network and ECU supplies.
  {
    name: '12 V battery voltage',
    test: /^(?:IBS|BCM)_BatteryVoltage$|^DCDC_LvVoltage$|Battery12V\w*Voltage$/,
    unit: 'V',
    value: (s) => s.lvBatteryV,
  },
  {
    name: '12 V battery current',
    test: /^(?:IBS|BCM)_BatteryCurrent$|^DCDC_LvCurrent$/,
    unit: 'A',
    value: (s) => s.lvCurrentA,
  },
  { name: 'ECU supply voltage', test: /_SupplyVoltage$/, unit: 'V', value: (s) => s.lvBatteryV - 0.25 },
  { name: 'ECU internal temperature', test: /_InternalTemp$/, unit: '°C', value: (s) => s.ambientC + 14 },
  // Charging.
  { name: 'charge state', test: /ChargeState$/, label: (s) => s.chargeState },
  {
    name: 'plug state',
    test: /PlugState$/,
    label: (s) => (s.chargeState === 'ChargingDC' ? 'PluggedDC' : 'Unplugged'),
  },
  { name: 'charge power', test: /ChargePower$/, unit: 'kW', value: (s) => s.chargePowerKw },
  { name: 'EVSE current', test: /EvseCurrent$/, unit: 'A', value: (s) => Math.max(0, -s.packCurrentA) },
  {
    name: 'EVSE voltage',
    test: /EvseVoltage$/,
    unit: 'V',
    value: (s) => (s.chargeState === 'ChargingDC' ? s.packVoltageV : 0),
  },
];

const COUNTER = /(?:_Counter|AliveCounter|RollingCounter|_Alive|_Cnt)$/;
const CRC = /(?:_Crc|_CRC|Checksum|_Chksum)$/;
/** Fields that report a problem: 0 on a healthy vehicle (the dtc fault scenario sets the DTC ones). */
const FAULT_LIKE =
  /Flt|Fault|Error|Warn|Dtc|Failure|Alarm|Blown|Weld|Overtemp|Overcurrent|Undervoltage|Overvoltage|Runaway|OpenWire/;

function physicsSource(
  rule: Omit<Rule, 'test'>,
  m: RegExpMatchArray,
  ctx: BindingContext,
  signal: Signal,
): SignalSource | undefined {
  if (rule.label) {
    const label = rule.label;
    const table = new Map<string, number>();
    for (const [raw, text] of signal.choices) table.set(text, physicalOfRaw(signal, Number(raw)));
    if (table.size === 0) return undefined;
    const fallback = physicalOfRaw(signal, nominalRaw(signal));
    return { kind: 'physics', rule: rule.name, read: (s) => table.get(label(s, m, ctx)) ?? fallback };
  }
  const value = rule.value!;
  const from = rule.unit;
  const to = signal.unit;
  if (from !== undefined && to !== '' && from !== to)
    return { kind: 'physics', rule: rule.name, read: (s) => convertUnit(value(s, m, ctx, signal), from, to) };
  return { kind: 'physics', rule: rule.name, read: (s) => value(s, m, ctx, signal) };
}

/** The walk's baseline and amplitude for a physical signal nothing models, from its unit and range. */
function walkFor(signal: Signal): SignalSource {
  const [low, high] = physicalRange(signal);
  const span = high - low;
  const unit = signal.unit;
  const within = (value: number): number => Math.min(high, Math.max(low, value));
  let baseline: Quantity;
  let amplitude = span * 0.03;
  if (unit === '°C' || unit === 'degC') {
    baseline = (s) => within(s.ambientC + 12);
    amplitude = 4;
  } else if (unit === 'km/h') {
    return { kind: 'physics', rule: 'speed (by unit)', read: (s) => within(s.speedKmh) };
  } else if (unit === 'V' && high <= 5.5 && low >= 0) {
    baseline = (s) => within(s.cellVoltageAvgV);
    amplitude = 0.01;
  } else if (unit === 'V' && high <= 30 && low >= 0) {
    baseline = (s) => within(s.lvBatteryV - 0.3);
    amplitude = 0.2;
  } else if (low < 0 && high > 0) {
    baseline = () => 0;
    amplitude = span * 0.04;
  } else if (unit === '%') {
    const center = within(low + span * 0.35);
    baseline = () => center;
    amplitude = span * 0.1;
  } else {
    const center = low + span * 0.25;
    baseline = () => center;
  }
  return { kind: 'walk', baseline, amplitude, low, high, spread: 0.6 };
}

function defaultSource(signal: Signal): SignalSource {
  if (signal.choices.size > 0) return { kind: 'constant', value: physicalOfRaw(signal, nominalRaw(signal)) };
  const start = physicalOfRaw(signal, signal.initialRawValue ?? 0);
  if (signal.length === 1 || FAULT_LIKE.test(signal.name)) return { kind: 'constant', value: start };
  if (signal.unit === '' || signal.unit === '-') return { kind: 'constant', value: clampTo(signal, start) };
  return walkFor(signal);
}

export function bindSignal(signal: Signal, ctx: BindingContext, messageName: string): SignalSource {
  if (signal.multiplexing.isMultiplexer) return { kind: 'switch' };
  const alias = ctx.aliasOf.get(`${ctx.busName}/${messageName}/${signal.name}`);
  const aliasRule = alias === undefined ? undefined : ALIAS_RULES[alias];
  if (aliasRule) {
    const source = physicsSource(aliasRule, [] as unknown as RegExpMatchArray, ctx, signal);
    if (source) return source;
  }
  if (COUNTER.test(signal.name) && signal.valueType === 'integer' && signal.length <= 16) {
    const bitsModulo = 2 ** signal.length;
    const max = signal.maximum;
    return {
      kind: 'counter',
      modulo:
        max !== undefined && max >= 1 && max < bitsModulo && signal.scale === 1 && signal.offset === 0
          ? max + 1
          : bitsModulo,
    };
  }
  if (CRC.test(signal.name) && signal.length === 8 && signal.valueType === 'integer') return { kind: 'crc' };
  for (const rule of NAME_RULES) {
    const m = rule.test.exec(signal.name);
    if (!m) continue;
    const source = physicsSource(rule, m, ctx, signal);
    if (source) return source;
  }
  return defaultSource(signal);
}

export function planMessage(message: Message, ctx: BindingContext): MessagePlan {
  const sources = message.signals.map((s) => bindSignal(s, ctx, message.name));
  const counter = sources.findIndex((s) => s.kind === 'counter');
  const crc = sources.findIndex(
    (s, i) =>
      s.kind === 'crc' &&
      message.signals[i]!.startBit % 8 === (message.signals[i]!.byteOrder === 'little_endian' ? 0 : 7),
  );
  // A CRC we cannot place on a byte holds its start value instead.
  const fixed = sources.map((s, i) => (s.kind === 'crc' && i !== crc ? ({ kind: 'constant', value: 0 } as const) : s));
  const indexes = (kind: SignalSource['kind']): Uint16Array =>
    Uint16Array.from(fixed.flatMap((s, i) => (s.kind === kind ? [i] : [])));
  return { sources: fixed, counter, crc, physics: indexes('physics'), walks: indexes('walk') };
}

/**
 * The physics quantity behind a model-independent alias (`cellVoltageMax`, `tyrePressureFrontLeft`, …) in the alias'
 * canonical unit, for tools that step physics without encoding frames (the model dataset). Undefined: no such alias,
 * or one that needs its catalog signal.
 */
export function aliasQuantity(alias: string): Quantity | undefined {
  const rule = ALIAS_RULES[alias];
  const value = rule?.value;
  if (value === undefined || value.length > 1) return undefined;
  return (s) =>
    value(s, [] as unknown as RegExpMatchArray, undefined as unknown as BindingContext, undefined as unknown as Signal);
}
