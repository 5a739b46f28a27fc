/**
 * Cargo Van E powertrain bus (classic CAN 500 kbit/s, Intel): one rear drive unit, a 96s pack in 8 modules whose
 * cell data fits classic 8-byte frames only by multiplexing, an 11 kW charger and the DC/DC.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import { counter, crc, enumeration, flag, lowVoltage, num, pad2, percent10, percent8, temp8 } from '../signals.js';
import {
  CHARGE_PLUG,
  CHARGE_STATE,
  CONTACTOR_STATE,
  DRIVE_MODE,
  GEAR,
  INVERTER_MODE,
  NO_YES,
  OK_FAULT,
} from '../tables.js';

export const VAN_CELLS = 96;
export const VAN_TEMP_SENSORS = 16;

const ECUS: readonly Ecu[] = [
  { name: 'VCU', comment: 'Vehicle control unit' },
  { name: 'INV', comment: 'Rear drive inverter and motor' },
  { name: 'BMS', comment: 'Battery management system, 96s pack' },
  { name: 'OBC', comment: 'On-board charger 11 kW with CCS inlet control' },
  { name: 'DCDC', comment: 'DC/DC converter' },
];

const cellVoltage = (name: string): ReturnType<typeof num> =>
  num(name, 16, { scale: 0.001, min: 0, max: 5, unit: 'V' });

function vehicle(bus: BusBuilder): void {
  bus.message({
    name: 'VCU_Status',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 20,
    comment: 'Vehicle speed, gear and driver inputs',
    signals: [
      crc('VCU_Status'),
      counter('VCU_Status'),
      num('VCU_VehicleSpeed', 12, { scale: 0.05, min: 0, max: 160, unit: 'km/h' }),
      enumeration('VCU_Gear', 3, GEAR),
      enumeration('VCU_DriveMode', 4, DRIVE_MODE),
      percent8('VCU_AccelPedal'),
      flag('VCU_BrakeSwitch', undefined, NO_YES),
      flag('VCU_Ready', 'High voltage on and drive enabled', NO_YES),
      flag('VCU_SpeedLimiterActive', 'Fleet speed limiter (set by the operator) is limiting', NO_YES),
      num('VCU_SpeedLimit', 8, { min: 0, max: 160, unit: 'km/h' }),
    ],
  });
  bus.message({
    name: 'VCU_Energy',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 200,
    comment: 'Range and consumption',
    signals: [
      num('VCU_RangeEstimate', 10, { min: 0, max: 600, unit: 'km' }),
      num('VCU_ConsumptionAvg', 10, { scale: 0.1, min: 0, max: 100, unit: 'kWh/100km' }),
      num('VCU_PayloadEstimate', 12, { min: 0, max: 2000, unit: 'kg', comment: 'From air-suspension-free load model' }),
      flag('VCU_PowerLimited', undefined, NO_YES),
      flag('VCU_WarnHvSystem', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'INV_Status',
    length: 8,
    sender: 'INV',
    cycleTimeMs: 10,
    comment: 'Drive inverter fast status',
    signals: [
      enumeration('INV_Mode', 3, INVERTER_MODE),
      num('INV_MotorSpeed', 16, { signed: true, min: -16000, max: 16000, unit: 'rpm' }),
      num('INV_Torque', 12, { signed: true, scale: 0.25, min: -500, max: 500, unit: 'Nm' }),
      num('INV_DcVoltage', 11, { scale: 0.25, min: 0, max: 500, unit: 'V' }),
      num('INV_DcCurrent', 12, { signed: true, scale: 0.25, min: -500, max: 500, unit: 'A' }),
      flag('INV_Derating', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'INV_Temperatures',
    length: 8,
    sender: 'INV',
    cycleTimeMs: 100,
    comment: 'Drive unit temperatures',
    signals: [
      temp8('INV_IgbtTemp', 'Hottest power module'),
      temp8('INV_MotorTemp', 'Hottest stator winding'),
      temp8('INV_CoolantTemp', 'Drive-unit coolant inlet'),
      temp8('INV_GearOilTemp'),
      flag('INV_FltOvertemp', undefined, OK_FAULT),
      flag('INV_FltOvercurrent', undefined, OK_FAULT),
      flag('INV_FltResolver', undefined, OK_FAULT),
      flag('INV_FltDcVoltage', undefined, OK_FAULT),
    ],
  });
}

function battery(bus: BusBuilder): void {
  bus.message({
    name: 'BMS_Pack',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 20,
    comment: 'Pack voltage, current and state',
    signals: [
      num('BMS_PackVoltage', 14, { scale: 0.05, min: 0, max: 500, unit: 'V' }),
      num('BMS_PackCurrent', 14, { signed: true, scale: 0.1, min: -600, max: 600, unit: 'A' }),
      enumeration('BMS_State', 3, [
        [0, 'Init'],
        [1, 'Standby'],
        [2, 'Drive'],
        [3, 'Charge'],
        [4, 'Fault'],
        [7, 'SNA'],
      ]),
      enumeration('BMS_Contactors', 3, CONTACTOR_STATE),
      percent10('BMS_Soc', 'Displayed state of charge'),
      percent8('BMS_Soh'),
      flag('BMS_IsolationFault', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'BMS_Limits',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Allowed currents',
    signals: [
      num('BMS_MaxDischargeCurrent', 12, { scale: 0.25, min: 0, max: 1000, unit: 'A' }),
      num('BMS_MaxChargeCurrent', 12, { scale: 0.25, min: 0, max: 1000, unit: 'A' }),
      num('BMS_EnergyRemaining', 10, { scale: 0.1, min: 0, max: 102.3, unit: 'kWh' }),
      num('BMS_IsolationResistance', 14, { min: 0, max: 10000, unit: 'kOhm' }),
    ],
  });
  bus.message({
    name: 'BMS_CellStats',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Cell voltage and temperature extremes',
    signals: [
      num('BMS_CellVoltageMin', 13, { scale: 0.001, min: 0, max: 5, unit: 'V' }),
      num('BMS_CellVoltageMax', 13, { scale: 0.001, min: 0, max: 5, unit: 'V' }),
      num('BMS_CellVoltageMinId', 7, { min: 1, max: VAN_CELLS }),
      num('BMS_CellVoltageMaxId', 7, { min: 1, max: VAN_CELLS }),
      temp8('BMS_CellTempMin'),
      temp8('BMS_CellTempMax'),
    ],
  });
  // Three cells per classic frame: the switch is the cell group (cells 3g+1..3g+3).
  bus.message({
    name: 'BMS_CellVoltages',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 10,
    comment: 'Cell voltages, three cells per frame (switch = cell group 0..31); every cell refreshes each 320 ms',
    mux: {
      switch: num('BMS_CellGroup', 8, { max: VAN_CELLS / 3 - 1 }),
      pages: Array.from({ length: VAN_CELLS / 3 }, (_, g) => ({
        values: g,
        signals: [1, 2, 3].map((k) => cellVoltage(`CellVoltage_${pad2(g * 3 + k)}`)),
      })),
    },
    signals: [],
  });
  bus.message({
    name: 'BMS_CellTemps',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Module temperature sensors, four per frame (switch = sensor group 0..3)',
    mux: {
      switch: num('BMS_TempGroup', 8, { max: 3 }),
      pages: [0, 1, 2, 3].map((g) => ({
        values: g,
        signals: [1, 2, 3, 4].map((k) => temp8(`CellTemp_${pad2(g * 4 + k)}`)),
      })),
    },
    signals: [],
  });
  bus.message({
    name: 'BMS_Faults',
    length: 8,
    sender: 'BMS',
    cycleTimeMs: 100,
    comment: 'Battery fault flags',
    signals: [
      'CellOvervoltage',
      'CellUndervoltage',
      'Overtemp',
      'Undertemp',
      'Overcurrent',
      'Isolation',
      'ContactorWeld',
      'Precharge',
      'Imbalance',
      'SensorFault',
      'CommLoss',
      'Hvil',
    ].map((f) => flag(`BMS_Flt${f}`, undefined, OK_FAULT)),
  });
}

function charging(bus: BusBuilder): void {
  bus.message({
    name: 'OBC_Status',
    length: 8,
    sender: 'OBC',
    cycleTimeMs: 100,
    comment: 'Charging session',
    signals: [
      enumeration('OBC_ChargeState', 4, CHARGE_STATE, 'Charging session state'),
      enumeration('OBC_PlugState', 3, CHARGE_PLUG),
      num('OBC_ChargePower', 10, { scale: 0.1, min: 0, max: 100, unit: 'kW' }),
      num('OBC_AcVoltage', 9, { min: 0, max: 500, unit: 'V' }),
      num('OBC_AcCurrent', 7, { min: 0, max: 32, unit: 'A' }),
      num('OBC_TimeToFull', 10, { min: 0, max: 1000, unit: 'min' }),
      temp8('OBC_InletTemp'),
      flag('OBC_FltInletOvertemp', undefined, OK_FAULT),
      flag('OBC_FltInternal', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'DCDC_Status',
    length: 8,
    sender: 'DCDC',
    cycleTimeMs: 100,
    comment: 'DC/DC converter',
    signals: [
      lowVoltage('DCDC_OutputVoltage'),
      num('DCDC_OutputCurrent', 9, { scale: 0.5, min: 0, max: 200, unit: 'A' }),
      temp8('DCDC_Temp'),
      flag('DCDC_Active', undefined, NO_YES),
      flag('DCDC_Fault', undefined, OK_FAULT),
    ],
  });
}

export function vanPowertrain(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'powertrain',
      index: 0,
      dbcFile: 'van_powertrain.dbc',
      bitrate: 500_000,
      comment: 'Drive, battery, charging',
    },
    'van_powertrain',
    version,
  );
  // This supplier generation has no AUTOSAR NM, version broadcast or SecOC.
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, i + 1, { networkManagement: false, version: false, security: false }));
  vehicle(bus);
  battery(bus);
  charging(bus);
  return bus.build();
}
