/**
 * Fault scenarios that the platform's rules and models must detect, injected into chosen vehicles from
 * `--fault-after` seconds on:
 *
 * - `cell-imbalance`: a soft internal short in one cell: its voltage falls 4 mV/s below its neighbours (up to
 *   0.6 V), so cell voltage min/delta and that cell's CellVoltage_N drift while the others follow the pack.
 * - `over-temperature`: a hot spot in one module: its cells' temperatures ramp up to 80 °C, passing 60 °C about a
 *   minute after the fault starts, visible in CellTemp_N, ModuleTemp*, cell temperature max.
 * - `sensor-silent`: one message stops being sent (default: the one carrying tyre pressure front left).
 * - `dtc`: an ECU's DTC broadcast reports a confirmed, active code with the warning lamp on (default: the BMS,
 *   code 0x0A7F00 = P0A7F-00 "hybrid/EV battery pack deterioration").
 *
 * Faults that develop slowly, over hours (for the fault-probability model and its lead time over threshold rules):
 * - `cell-self-discharge`: one cell's internal short grows; its voltage falls behind the others, slowly at first
 *   (about 12 mV after an hour, 50 mV after two).
 * - `coolant-pump-wear`: the motor loop's pump loses 40 % of its flow per hour, so the coolant runs ever hotter
 *   above ambient under load.
 * - `tyre-slow-leak`: one tyre (target 1–4: FL, FR, RL, RR) loses pressure, faster and faster (about 60 kPa after
 *   2.5 h).
 *
 * Spec syntax: `<kind>[@<target>][=<dtc code>][:<vehicles>]`, vehicles being `all` (default), a fraction with a
 * decimal point (`0.1` = 10 % of the fleet, at least one vehicle, chosen from the seed) or 0-based vehicle indexes
 * (`0,3,7`). Targets: a 1-based cell number, a 1-based module number, a message name, an ECU name.
 */
import { TelltaleError } from '@telltale/platform';
import { Rng } from './rng.js';
import type { SimModel } from './model.js';
import type { VehiclePhysics } from './physics.js';

export const FAULT_KINDS = [
  'cell-imbalance',
  'over-temperature',
  'sensor-silent',
  'dtc',
  'cell-self-discharge',
  'coolant-pump-wear',
  'tyre-slow-leak',
] as const;
/** The faults that develop over hours. */
export const SLOW_FAULT_KINDS = ['cell-self-discharge', 'coolant-pump-wear', 'tyre-slow-leak'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const DEFAULT_DTC_CODE = 0x0a7f00;

export type VehicleSelection =
  { readonly all: true } | { readonly fraction: number } | { readonly indexes: readonly number[] };

export interface FaultSpec {
  readonly text: string;
  readonly kind: FaultKind;
  readonly target: string | undefined;
  readonly code: number | undefined;
  readonly vehicles: VehicleSelection;
}

export type ResolvedFault =
  | { readonly kind: 'cell-imbalance'; readonly cell: number }
  | { readonly kind: 'over-temperature'; readonly module: number }
  | { readonly kind: 'sensor-silent'; readonly message: number }
  | { readonly kind: 'cell-self-discharge'; readonly cell: number }
  | { readonly kind: 'coolant-pump-wear' }
  | { readonly kind: 'tyre-slow-leak'; readonly wheel: number }
  | {
      readonly kind: 'dtc';
      readonly code: number;
      /** Message index → (signal index, physical value) to hold while the fault is active. */
      readonly overrides: ReadonlyMap<number, readonly (readonly [number, number])[]>;
    };

const invalid = (text: string, why: string): TelltaleError =>
  new TelltaleError(
    'FAULT_SPEC_INVALID',
    `--fault ${text}: ${why}. Expected <kind>[@<target>][=<code>][:<vehicles>] with kind ${FAULT_KINDS.join(', ')}.`,
  );

export function parseFaultSpec(text: string): FaultSpec {
  const [head = '', who, extra] = text.split(':');
  if (extra !== undefined) throw invalid(text, 'more than one ":"');
  const [kindAndTarget = '', codeText, moreCode] = head.split('=');
  if (moreCode !== undefined) throw invalid(text, 'more than one "="');
  const [kindText = '', target, moreTarget] = kindAndTarget.split('@');
  if (moreTarget !== undefined) throw invalid(text, 'more than one "@"');
  if (!(FAULT_KINDS as readonly string[]).includes(kindText)) throw invalid(text, `unknown kind "${kindText}"`);
  const kind = kindText as FaultKind;
  if (target === '') throw invalid(text, 'empty target after "@"');
  let code: number | undefined;
  if (codeText !== undefined) {
    if (kind !== 'dtc') throw invalid(text, 'only dtc takes a code');
    code = Number(codeText);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(codeText) || !Number.isInteger(code) || code <= 0 || code > 0xffffff)
      throw invalid(text, `code "${codeText}" must be a 24-bit UDS DTC like 0x0A7F00`);
  }
  if (
    (kind === 'cell-imbalance' ||
      kind === 'over-temperature' ||
      kind === 'cell-self-discharge' ||
      kind === 'tyre-slow-leak') &&
    target !== undefined &&
    !/^[1-9]\d*$/.test(target)
  ) {
    throw invalid(text, `target "${target}" must be a 1-based ${kind === 'cell-imbalance' ? 'cell' : 'module'} number`);
  }
  return { text, kind, target, code, vehicles: parseVehicleSelection(`--fault ${text}`, who) };
}

/** `all`, a fraction (`0.1`) or 0-based indexes (`0,3,7`); `option` names the flag in errors. */
export function parseVehicleSelection(option: string, who: string | undefined): VehicleSelection {
  const bad = (why: string): TelltaleError =>
    new TelltaleError(
      'VEHICLE_SELECTION_INVALID',
      `${option}: ${why}; expected all, a fraction like 0.1 or vehicle indexes like 0,3,7.`,
    );
  if (who === undefined || who === 'all') return { all: true };
  if (who.includes('.')) {
    const fraction = Number(who);
    if (!Number.isFinite(fraction) || fraction <= 0 || fraction > 1) throw bad(`fraction "${who}" must be in (0, 1]`);
    return { fraction };
  }
  const indexes = who.split(',').map((part) => (/^\d+$/.test(part) ? Number(part) : NaN));
  if (indexes.some((i) => !Number.isInteger(i))) throw bad(`"${who}" is not a vehicle selection`);
  return { indexes };
}

/** Which vehicles (0-based) a selection picks, deterministically from the seed. */
export function selectVehicles(
  selection: VehicleSelection,
  vehicleCount: number,
  seed: number | string,
  label: string,
): number[] {
  if ('all' in selection) return Array.from({ length: vehicleCount }, (_, i) => i);
  if ('indexes' in selection)
    return [...new Set(selection.indexes.filter((i) => i < vehicleCount))].sort((a, b) => a - b);
  const count = Math.max(1, Math.round(selection.fraction * vehicleCount));
  return Rng.derive(seed, 'fault-vehicles', label).sample(vehicleCount, count);
}

/** Resolves a spec against the model for one vehicle: which cell, module, message or ECU. Throws on unknown targets. */
export function resolveFault(spec: FaultSpec, model: SimModel, seed: number | string, vehicle: number): ResolvedFault {
  const rng = Rng.derive(seed, 'fault-target', spec.text, vehicle);
  switch (spec.kind) {
    case 'cell-imbalance': {
      const cells = model.spec.cellsInSeries;
      const cell = spec.target === undefined ? rng.int(cells) : Number(spec.target) - 1;
      if (cell >= cells) throw invalid(spec.text, `cell ${spec.target} does not exist (the pack has ${cells})`);
      return { kind: 'cell-imbalance', cell };
    }
    case 'over-temperature': {
      const modules = model.spec.modules;
      const module = spec.target === undefined ? rng.int(modules) : Number(spec.target) - 1;
      if (module >= modules) throw invalid(spec.text, `module ${spec.target} does not exist (the pack has ${modules})`);
      return { kind: 'over-temperature', module };
    }
    case 'sensor-silent': {
      const message =
        spec.target === undefined
          ? (model.aliasMessage('tyrePressureFrontLeft') ?? model.aliasMessage('coolantTemperature'))
          : model.findMessage(spec.target);
      if (!message)
        throw invalid(
          spec.text,
          spec.target === undefined
            ? 'the model has no tyre pressure or coolant message; name one with @<message>'
            : `the model has no message ${spec.target}`,
        );
      return { kind: 'sensor-silent', message: message.index };
    }
    case 'dtc':
      return resolveDtc(spec, model);
    case 'cell-self-discharge': {
      const cells = model.spec.cellsInSeries;
      const cell = spec.target === undefined ? rng.int(cells) : Number(spec.target) - 1;
      if (cell >= cells) throw invalid(spec.text, `cell ${spec.target} does not exist (the pack has ${cells})`);
      return { kind: 'cell-self-discharge', cell };
    }
    case 'coolant-pump-wear':
      return { kind: 'coolant-pump-wear' };
    case 'tyre-slow-leak': {
      const wheel = spec.target === undefined ? rng.int(4) : Number(spec.target) - 1;
      if (wheel >= 4) throw invalid(spec.text, `tyre ${spec.target} does not exist (1–4: FL, FR, RL, RR)`);
      return { kind: 'tyre-slow-leak', wheel };
    }
  }
}

const DTC_STATUS: Readonly<Record<string, number>> = {
  TestFailed: 1,
  FailedThisCycle: 1,
  Pending: 1,
  Confirmed: 1,
  NotDoneSinceClear: 0,
  FailedSinceClear: 1,
  NotDoneThisCycle: 0,
  WarningLamp: 1,
  Count: 1,
  Index: 0,
  Occurrences: 1,
};

function resolveDtc(spec: FaultSpec, model: SimModel): ResolvedFault {
  const dtcMessages = model.messages.filter(
    (m) => /DtcStatus$|_Dtc$|DtcInfo$/.test(m.message.name) && m.message.signals.some((s) => /DtcCode$/.test(s.name)),
  );
  const socSender = model.aliasMessage('soc')?.message.senders[0];
  const ecu = spec.target ?? socSender ?? 'BMS';
  const message =
    dtcMessages.find((m) => m.message.name.startsWith(`${ecu}_`) || m.message.senders.includes(ecu)) ??
    (spec.target === undefined ? dtcMessages[0] : undefined);
  if (!message) {
    const known = dtcMessages.map((m) => m.message.name.replace(/_Dtc\w*$/, '')).join(', ');
    throw invalid(spec.text, `no DTC message for ECU ${ecu}${known ? ` (ECUs with one: ${known})` : ''}`);
  }
  const code = spec.code ?? DEFAULT_DTC_CODE;
  const overrides = new Map<number, (readonly [number, number])[]>();
  const dtc: (readonly [number, number])[] = [];
  message.message.signals.forEach((signal, i) => {
    if (/DtcCode$/.test(signal.name)) dtc.push([i, code]);
    else if (/DtcSeverity$/.test(signal.name)) {
      const raw = [...signal.choices].find(([, label]) => label === 'CheckImmediately')?.[0];
      dtc.push([i, raw === undefined ? 4 : Number(raw)]);
    } else {
      const bit = /Dtc(\w+)$/.exec(signal.name)?.[1];
      const value = bit === undefined ? undefined : DTC_STATUS[bit];
      if (value !== undefined) dtc.push([i, value]);
    }
  });
  overrides.set(message.index, dtc);
  // The same ECU asks for its fault lamp in its health frame, when it has one.
  const prefix = message.message.name.replace(/_Dtc\w*$/, '');
  const health = model.messages.find((m) => m.busIndex === message.busIndex && m.message.name === `${prefix}_Health`);
  const lamp = health?.message.signals.findIndex((s) => s.name === `${prefix}_FaultLampReq`) ?? -1;
  if (health && lamp >= 0) {
    const signal = health.message.signals[lamp]!;
    const raw = [...signal.choices].find(([, label]) => label === 'On')?.[0];
    overrides.set(health.index, [[lamp, raw === undefined ? 1 : Number(raw)]]);
  }
  return { kind: 'dtc', code, overrides };
}

/** Faults per vehicle index for a fleet. */
export function assignFaults(
  specs: readonly FaultSpec[],
  model: SimModel,
  vehicleCount: number,
  seed: number | string,
): Map<number, ResolvedFault[]> {
  const out = new Map<number, ResolvedFault[]>();
  specs.forEach((spec, n) => {
    for (const vehicle of selectVehicles(spec.vehicles, vehicleCount, seed, `${n}:${spec.text}`)) {
      const list = out.get(vehicle) ?? [];
      list.push(resolveFault(spec, model, seed, vehicle));
      out.set(vehicle, list);
    }
  });
  return out;
}

/** One line per faulty vehicle, for the run's start-up report. */
export function describeFault(fault: ResolvedFault, model: SimModel): string {
  switch (fault.kind) {
    case 'cell-imbalance':
      return `cell-imbalance: cell ${fault.cell + 1} drifts low`;
    case 'over-temperature':
      return `over-temperature: module ${fault.module + 1} heats past 60 °C`;
    case 'sensor-silent':
      return `sensor-silent: ${model.messages[fault.message]!.message.name} stops`;
    case 'cell-self-discharge':
      return `cell-self-discharge: cell ${fault.cell + 1} self-discharges, slowly faster`;
    case 'coolant-pump-wear':
      return 'coolant-pump-wear: the motor loop pump loses flow';
    case 'tyre-slow-leak':
      return `tyre-slow-leak: tyre ${['FL', 'FR', 'RL', 'RR'][fault.wheel]} loses pressure`;
    case 'dtc': {
      const message = model.messages[[...fault.overrides.keys()][0]!]!;
      return `dtc: ${message.message.name} reports 0x${fault.code.toString(16).toUpperCase().padStart(6, '0')}`;
    }
  }
}

/** Starts a slowly developing fault in a vehicle's physics (the dataset builder steps physics directly). */
export function startSlowFault(
  physics: Pick<VehiclePhysics, 'startCellSelfDischarge' | 'startCoolantPumpWear' | 'startTyreSlowLeak'>,
  fault: ResolvedFault,
): void {
  if (fault.kind === 'cell-self-discharge') physics.startCellSelfDischarge(fault.cell);
  else if (fault.kind === 'coolant-pump-wear') physics.startCoolantPumpWear();
  else if (fault.kind === 'tyre-slow-leak') physics.startTyreSlowLeak(fault.wheel);
}
