/**
 * Aurora battery bus (CAN FD 500 kbit/s / 2 Mbit/s). A 108s pack in 12 modules of 9 cells. The cell monitoring units
 * sit on this bus with their own diagnostics; the BMS master publishes the plausibility-checked per-cell data in
 * 64-byte FD frames multiplexed by module, so one frame id carries all 108 cells.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import type { MuxPageSpec, SignalSpec } from '../layout.js';
import {
  counter,
  crc,
  enumeration,
  flag,
  lowVoltage,
  num,
  pad2,
  pad3,
  percent10,
  percent8,
  temp8,
} from '../signals.js';
import { CONTACTOR_STATE, INACTIVE_ACTIVE, NO_YES, OK_FAULT, VALID_INVALID } from '../tables.js';

export const AURORA_MODULES = 12;
export const AURORA_CELLS_PER_MODULE = 9;
const MODULES = Array.from({ length: AURORA_MODULES }, (_, m) => m);
const cellsOf = (m: number): number[] =>
  Array.from({ length: AURORA_CELLS_PER_MODULE }, (_, c) => m * AURORA_CELLS_PER_MODULE + c + 1);

const cmuName = (m: number): string => `CMU${pad2(m + 1)}`;

const ECUS: readonly Ecu[] = [
  { name: 'BMS', comment: 'Battery management master: state estimation, contactors, limits' },
  { name: 'IMD', comment: 'Insulation monitoring device' },
  { name: 'CSU', comment: 'Pack current sensor (shunt, redundant Hall channel)' },
  { name: 'PDU', comment: 'Power distribution unit: contactors, pyro fuse, busbars' },
  ...MODULES.map((m) => ({ name: cmuName(m), comment: `Cell monitoring unit of module ${m + 1}` })),
];

/** 0.1 mV per bit: enough to see a 1 mV imbalance. */
const cellVoltage = (name: string): SignalSpec => num(name, 16, { scale: 0.0001, min: 0, max: 5, unit: 'V' });
/** 0.5 °C per bit from −40 °C. */
const cellTemp = (name: string): SignalSpec =>
  num(name, 8, { scale: 0.5, offset: -40, min: -40, max: 87.5, unit: '°C' });

function pack(bus: BusBuilder): void {
  bus.message({
    name: 'BMS_PackStatus',
    length: 16,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 10,
    comment: 'Pack voltage and current: what every high-voltage consumer plans with',
    signals: [
      crc('BMS_PackStatus'),
      counter('BMS_PackStatus'),
      num('BMS_PackVoltage', 16, { scale: 0.01, min: 0, max: 500, unit: 'V', comment: 'Sum of cell voltages' }),
      num('BMS_PackCurrent', 16, {
        signed: true,
        scale: 0.1,
        min: -1000,
        max: 1000,
        unit: 'A',
        comment: 'Positive discharging, negative charging',
      }),
      num('BMS_LinkVoltage', 16, {
        scale: 0.01,
        min: 0,
        max: 500,
        unit: 'V',
        comment: 'DC link, after the contactors',
      }),
      enumeration('BMS_State', 3, [
        [0, 'Init'],
        [1, 'Standby'],
        [2, 'Precharge'],
        [3, 'Drive'],
        [4, 'Charge'],
        [5, 'Balancing'],
        [6, 'Fault'],
        [7, 'Shutdown'],
      ]),
      enumeration('BMS_ContactorState', 3, CONTACTOR_STATE),
      num('BMS_PackPower', 12, { signed: true, scale: 0.25, min: -500, max: 500, unit: 'kW' }),
    ],
  });
  bus.message({
    name: 'BMS_Soc',
    length: 16,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'State of charge and health',
    signals: [
      percent10('BMS_SocDisplayed', 'State of charge the driver sees (0 % still leaves a reserve)'),
      percent10('BMS_SocActual', 'Usable-window state of charge from the Kalman estimator'),
      percent10('BMS_SocMin'),
      percent10('BMS_SocMax'),
      percent10('BMS_SohCapacity', 'Remaining capacity relative to new'),
      percent10('BMS_SohResistance', 'Internal resistance relative to new (100 % = as new)'),
      num('BMS_EnergyRemaining', 10, { scale: 0.1, min: 0, max: 102.3, unit: 'kWh' }),
      num('BMS_EnergyFull', 10, { scale: 0.1, min: 0, max: 102.3, unit: 'kWh' }),
      num('BMS_CapacityAh', 10, { scale: 0.25, min: 0, max: 255, unit: 'Ah' }),
    ],
  });
  bus.message({
    name: 'BMS_Limits',
    length: 16,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Current and power the pack allows now (10 s peak and continuous)',
    signals: [
      num('BMS_MaxDischargeCurrent', 12, { scale: 0.5, min: 0, max: 2000, unit: 'A' }),
      num('BMS_MaxChargeCurrent', 12, { scale: 0.5, min: 0, max: 2000, unit: 'A' }),
      num('BMS_MaxDischargePower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('BMS_MaxChargePower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('BMS_ContDischargePower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('BMS_ContChargePower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('BMS_MinPackVoltage', 12, { scale: 0.25, min: 0, max: 1000, unit: 'V' }),
      num('BMS_MaxPackVoltage', 12, { scale: 0.25, min: 0, max: 1000, unit: 'V' }),
      flag('BMS_LimitedByTemp', undefined, NO_YES),
      flag('BMS_LimitedBySoc', undefined, NO_YES),
      flag('BMS_LimitedByFault', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'BMS_CellStats',
    length: 24,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Cell voltage and temperature extremes with the cell that holds them',
    signals: [
      cellVoltage('BMS_CellVoltageMin'),
      cellVoltage('BMS_CellVoltageMax'),
      cellVoltage('BMS_CellVoltageAvg'),
      num('BMS_CellVoltageDelta', 12, { scale: 0.0001, min: 0, max: 0.4, unit: 'V' }),
      num('BMS_CellVoltageMinId', 8, { min: 1, max: 108 }),
      num('BMS_CellVoltageMaxId', 8, { min: 1, max: 108 }),
      cellTemp('BMS_CellTempMin'),
      cellTemp('BMS_CellTempMax'),
      cellTemp('BMS_CellTempAvg'),
      num('BMS_CellTempMinId', 8, { min: 1, max: 108 }),
      num('BMS_CellTempMaxId', 8, { min: 1, max: 108 }),
    ],
  });
  bus.message({
    name: 'BMS_Contactors',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Contactor states and high-voltage interlock',
    signals: [
      enumeration('BMS_MainPositive', 3, CONTACTOR_STATE),
      enumeration('BMS_MainNegative', 3, CONTACTOR_STATE),
      enumeration('BMS_Precharge', 3, CONTACTOR_STATE),
      enumeration('BMS_DcChargePositive', 3, CONTACTOR_STATE),
      enumeration('BMS_DcChargeNegative', 3, CONTACTOR_STATE),
      num('BMS_PrechargeTime', 10, { min: 0, max: 1000, unit: 'ms' }),
      flag('BMS_HvilClosed', 'High-voltage interlock loop intact', NO_YES),
      flag('BMS_WeldDetected', undefined, NO_YES),
      enumeration('BMS_OpenReason', 4, [
        [0, 'None'],
        [1, 'Request'],
        [2, 'Crash'],
        [3, 'Isolation'],
        [4, 'Overcurrent'],
        [5, 'CellLimit'],
        [6, 'Hvil'],
        [7, 'Thermal'],
        [8, 'CommLoss'],
      ]),
      num('BMS_ContactorCycles', 20, { comment: 'Main contactor close cycles over life' }),
    ],
  });
  bus.message({
    name: 'BMS_Thermal',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Pack thermal state and requests to thermal management',
    signals: [
      temp8('BMS_CoolantInTemp'),
      temp8('BMS_CoolantOutTemp'),
      enumeration('BMS_ThermalRequest', 3, [
        [0, 'None'],
        [1, 'Heat'],
        [2, 'Cool'],
        [3, 'CoolMax'],
        [4, 'Equalise'],
      ]),
      num('BMS_HeatPowerReq', 8, { scale: 0.05, min: 0, max: 10, unit: 'kW' }),
      num('BMS_CoolPowerReq', 8, { scale: 0.05, min: 0, max: 10, unit: 'kW' }),
      num('BMS_FlowRequest', 8, { scale: 0.1, min: 0, max: 25, unit: 'l/min' }),
      flag('BMS_ThermalRunawayWarning', 'Venting or rapid temperature rise detected: evacuate', NO_YES),
    ],
  });
  const faults = [
    'CellOvervoltage',
    'CellUndervoltage',
    'CellOvertemp',
    'CellUndertemp',
    'CellImbalance',
    'PackOvercurrent',
    'ChargeOvercurrent',
    'Isolation',
    'Hvil',
    'ContactorWeld',
    'Precharge',
    'CurrentSensor',
    'VoltageSensor',
    'TempSensor',
    'CoolantFlow',
    'Pyrofuse',
    'InternalComm',
    'CellOpenWire',
    'SocPlausibility',
    'Overcharge',
    ...MODULES.map((m) => `Cmu${pad2(m + 1)}Lost`),
  ];
  bus.message({
    name: 'BMS_Faults',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Battery fault flags; any fault also shows in BMS_State and the DTC broadcast',
    signals: faults.map((f) => flag(`BMS_Flt${f}`, undefined, OK_FAULT)),
  });
  bus.message({
    name: 'BMS_Lifetime',
    length: 16,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 1000,
    comment: 'Lifetime throughput counters',
    signals: [
      num('BMS_ChargedEnergy', 24, { scale: 0.1, min: 0, max: 1677721.5, unit: 'kWh' }),
      num('BMS_DischargedEnergy', 24, { scale: 0.1, min: 0, max: 1677721.5, unit: 'kWh' }),
      num('BMS_EquivalentCycles', 16, { scale: 0.1, min: 0, max: 6553.5 }),
      num('BMS_DcFastCharges', 16),
      num('BMS_HoursAbove45C', 16, { min: 0, max: 65535, unit: 'h' }),
    ],
  });
}

function cells(bus: BusBuilder): void {
  const perModule = (build: (m: number) => readonly SignalSpec[]): MuxPageSpec[] =>
    MODULES.map((m) => ({ values: m, signals: build(m) }));

  bus.message({
    name: 'BMS_CellVoltages',
    length: 64,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 20,
    comment: 'Cell voltages, one module per frame (switch = module index 0..11); a module repeats every 240 ms',
    mux: {
      switch: num('BMS_CellVModule', 8, { max: 11 }),
      pages: perModule((m) => [
        ...cellsOf(m).map((c) => cellVoltage(`CellVoltage_${pad3(c)}`)),
        num(`BMS_ModuleVoltage_${pad2(m + 1)}`, 16, { scale: 0.01, min: 0, max: 50, unit: 'V' }),
        flag(`BMS_CellVValid_${pad2(m + 1)}`, undefined, VALID_INVALID),
      ]),
    },
    signals: [],
  });
  bus.message({
    name: 'BMS_CellTemps',
    length: 64,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Cell and module temperatures, one module per frame (switch = module index 0..11)',
    mux: {
      switch: num('BMS_CellTModule', 8, { max: 11 }),
      pages: perModule((m) => [
        ...cellsOf(m).map((c) => cellTemp(`CellTemp_${pad3(c)}`)),
        ...[1, 2, 3, 4].map((s) => cellTemp(`ModuleTemp_${pad2(m + 1)}_S${s}`)),
        cellTemp(`ModuleTempMax_${pad2(m + 1)}`),
      ]),
    },
    signals: [],
  });
  bus.message({
    name: 'BMS_CellBalancing',
    length: 64,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 500,
    comment: 'Passive balancing: one bit per cell and the bleed current per module, in one 64-byte frame',
    signals: [
      ...MODULES.flatMap((m) => cellsOf(m)).map((c) => flag(`CellBalancing_${pad3(c)}`, undefined, INACTIVE_ACTIVE)),
      ...MODULES.map((m) => num(`BMS_BalanceCurrent_${pad2(m + 1)}`, 8, { min: 0, max: 255, unit: 'mA' })),
    ],
  });
  bus.message({
    name: 'BMS_CellSoc',
    length: 64,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 1000,
    comment: 'Per-cell state of charge, half the pack per frame (switch 0: cells 1-54, 1: cells 55-108)',
    mux: {
      switch: num('BMS_CellSocHalf', 8, { max: 1 }),
      pages: [0, 1].map((h) => ({
        values: h,
        signals: Array.from({ length: 54 }, (_, i) => percent8(`CellSoc_${pad3(h * 54 + i + 1)}`)),
      })),
    },
    signals: [],
  });
  bus.message({
    name: 'BMS_CellHealth',
    length: 64,
    fd: true,
    sender: 'BMS',
    cycleTimeMs: 1000,
    comment: 'Per-cell resistance, health, self-discharge and capacity estimates (switch = module index)',
    mux: {
      switch: num('BMS_CellHModule', 8, { max: 11 }),
      pages: perModule((m) =>
        cellsOf(m).flatMap((c) => [
          num(`CellResistance_${pad3(c)}`, 8, { scale: 0.02, min: 0, max: 5.1, unit: 'mOhm' }),
          num(`CellSoh_${pad3(c)}`, 8, { scale: 0.5, min: 0, max: 127.5, unit: '%' }),
          num(`CellSelfDischarge_${pad3(c)}`, 8, { scale: 2, min: 0, max: 510, unit: 'uA' }),
          num(`CellCapacity_${pad3(c)}`, 10, { scale: 0.25, min: 0, max: 255.75, unit: 'Ah' }),
        ]),
      ),
    },
    signals: [],
  });
  // Extended multiplexing: page 1 holds a second switch choosing the module; pages 2-3 share the sensor block.
  bus.message({
    name: 'BMS_DiagData',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment:
      'Engineering data in rotation: BMS_DiagPage 0 lifetime extremes, 1 per-module history (nested switch ' +
      'BMS_DiagModule), 2-3 raw sensor block',
    mux: {
      switch: num('BMS_DiagPage', 4, { max: 3 }),
      pages: [
        {
          values: 0,
          signals: [
            cellVoltage('BMS_DiagVMaxLife'),
            cellVoltage('BMS_DiagVMinLife'),
            cellTemp('BMS_DiagTMaxLife'),
            cellTemp('BMS_DiagTMinLife'),
          ],
        },
        {
          values: 1,
          nested: {
            switch: num('BMS_DiagModule', 4, { max: 11 }),
            pages: MODULES.map((m) => ({
              values: m,
              signals: [
                num(`BMS_DiagM${pad2(m + 1)}_VSpread`, 12, { scale: 0.0001, min: 0, max: 0.4, unit: 'V' }),
                num(`BMS_DiagM${pad2(m + 1)}_TSpread`, 8, { scale: 0.5, min: 0, max: 127.5, unit: 'K' }),
                num(`BMS_DiagM${pad2(m + 1)}_BalanceTime`, 16, { min: 0, max: 65535, unit: 'h' }),
                num(`BMS_DiagM${pad2(m + 1)}_OpenWire`, 8, { comment: 'Open-wire detections over life' }),
              ],
            })),
          },
          signals: [],
        },
        {
          values: [[2, 3]],
          signals: [
            num('BMS_DiagShuntRaw', 24, { signed: true }),
            num('BMS_DiagHallRaw', 16, { signed: true }),
            num('BMS_DiagRefVoltage', 12, { scale: 0.001, min: 0, max: 4.095, unit: 'V' }),
          ],
        },
      ],
    },
    signals: [],
  });
}

function monitors(bus: BusBuilder): void {
  for (const m of MODULES) {
    const p = cmuName(m);
    bus.message({
      name: `${p}_Measurements`,
      length: 24,
      fd: true,
      sender: p,
      cycleTimeMs: 100,
      receivers: ['BMS'],
      comment: `Module ${m + 1} measurement front end`,
      signals: [
        counter(`${p}_Meas`),
        num(`${p}_ModuleVoltage`, 16, { scale: 0.01, min: 0, max: 50, unit: 'V' }),
        num(`${p}_StackVoltage`, 16, {
          scale: 0.01,
          min: 0,
          max: 50,
          unit: 'V',
          comment: 'Redundant stack measurement',
        }),
        lowVoltage(`${p}_Supply`),
        temp8(`${p}_PcbTemp`),
        temp8(`${p}_BalanceResTemp`),
        temp8(`${p}_BusbarTempPos`),
        temp8(`${p}_BusbarTempNeg`),
        num(`${p}_RefVoltage`, 12, { scale: 0.001, min: 0, max: 4.095, unit: 'V' }),
        ...cellsOf(m).map((c) => flag(`${p}_OpenWire_${pad3(c)}`, undefined, OK_FAULT)),
        flag(`${p}_FltAdc`, undefined, OK_FAULT),
        flag(`${p}_FltReference`, undefined, OK_FAULT),
        flag(`${p}_FltDaisyChain`, undefined, OK_FAULT),
      ],
    });
  }
}

function sensors(bus: BusBuilder): void {
  bus.message({
    name: 'IMD_Isolation',
    length: 8,
    sender: 'IMD',
    cycleTimeMs: 100,
    receivers: ['BMS'],
    comment: 'Insulation resistance between high-voltage rails and chassis',
    signals: [
      num('IMD_ResistancePos', 16, { min: 0, max: 50000, unit: 'kOhm' }),
      num('IMD_ResistanceNeg', 16, { min: 0, max: 50000, unit: 'kOhm' }),
      num('IMD_ResistanceMin', 16, {
        min: 0,
        max: 50000,
        unit: 'kOhm',
        comment: 'Below 500 Ohm/V of pack voltage the vehicle must not drive',
      }),
      enumeration('IMD_State', 2, [
        [0, 'Measuring'],
        [1, 'OK'],
        [2, 'Warning'],
        [3, 'Fault'],
      ]),
      num('IMD_YCapacitance', 6, { scale: 0.1, min: 0, max: 6.3, unit: 'uF' }),
      flag('IMD_SelfTestOk', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'CSU_Current',
    length: 8,
    sender: 'CSU',
    cycleTimeMs: 10,
    receivers: ['BMS'],
    comment: 'Pack current, two independent channels',
    signals: [
      crc('CSU_Current'),
      counter('CSU_Current'),
      num('CSU_CurrentShunt', 24, { signed: true, scale: 0.001, min: -2000, max: 2000, unit: 'A' }),
      num('CSU_CurrentHall', 16, { signed: true, scale: 0.1, min: -2000, max: 2000, unit: 'A' }),
      temp8('CSU_ShuntTemp'),
      flag('CSU_ChannelsAgree', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'PDU_Status',
    length: 16,
    fd: true,
    sender: 'PDU',
    cycleTimeMs: 100,
    receivers: ['BMS'],
    comment: 'Junction box: fuses, busbars and pyro-fuse',
    signals: [
      ...['MainPos', 'MainNeg', 'DcFastPos', 'DcFastNeg', 'Obc', 'Heater'].map((b) => temp8(`PDU_BusbarTemp${b}`)),
      temp8('PDU_PrechargeResTemp'),
      enumeration('PDU_Pyrofuse', 2, [
        [0, 'Armed'],
        [1, 'Fired'],
        [2, 'Fault'],
        [3, 'SNA'],
      ]),
      ...['Obc', 'Heater', 'Compressor', 'Dcdc'].map((f) => flag(`PDU_Fuse${f}Blown`, undefined, NO_YES)),
      ...[1, 2, 3].map((l) => flag(`PDU_HvilLoop${l}`, 'Interlock loop closed', NO_YES)),
    ],
  });
}

export function auroraBms(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'bms',
      index: 3,
      dbcFile: 'aurora_bms.dbc',
      bitrate: 500_000,
      dataBitrate: 2_000_000,
      comment: 'Traction battery: BMS master, cell monitoring, current and insulation sensing',
    },
    'aurora_bms',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, 0x60 + i));
  pack(bus);
  cells(bus);
  monitors(bus);
  sensors(bus);
  return bus.build();
}
