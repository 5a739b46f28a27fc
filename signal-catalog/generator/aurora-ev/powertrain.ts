/**
 * Aurora powertrain bus (CAN FD 500 kbit/s / 2 Mbit/s, Intel byte order): vehicle control, the two drive inverters,
 * charging (OBC, DC/DC, charge control) and the thermal system with its pumps, heat pump and heaters.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import type { SignalSpec } from '../layout.js';
import { counter, crc, enumeration, flag, lowVoltage, num, percent10, percent8, temp16, temp8 } from '../signals.js';
import {
  CHARGE_PLUG,
  CHARGE_STATE,
  DRIVE_MODE,
  GEAR,
  INACTIVE_ACTIVE,
  INVERTER_MODE,
  LOCK_STATE,
  NO_YES,
  OFF_ON,
  OK_FAULT,
  POWER_MODE,
} from '../tables.js';

const ECUS: readonly Ecu[] = [
  { name: 'VCU', comment: 'Vehicle control unit: torque coordination, drive modes, energy management' },
  { name: 'INVF', comment: 'Front drive inverter with its permanent-magnet synchronous motor' },
  { name: 'INVR', comment: 'Rear drive inverter with its permanent-magnet synchronous motor' },
  { name: 'OBC', comment: 'On-board charger, 22 kW three-phase AC' },
  { name: 'DCDC', comment: 'High-voltage to 12 V DC/DC converter' },
  { name: 'CCU', comment: 'Charge control unit: inlet, pilot and ISO 15118 communication with the charger' },
  { name: 'TMS', comment: 'Thermal management controller: coolant and refrigerant circuits' },
  { name: 'GSM', comment: 'Gear selector module on the steering column' },
  { name: 'EAC', comment: 'Electric air-conditioning compressor (heat pump)' },
  { name: 'PTC', comment: 'High-voltage PTC coolant heater' },
  { name: 'EWP1', comment: 'Electric water pump, battery loop' },
  { name: 'EWP2', comment: 'Electric water pump, drive-unit loop' },
  { name: 'EWP3', comment: 'Electric water pump, cabin heater loop' },
  { name: 'CFAN', comment: 'Radiator cooling fan controller' },
];

const INVERTER_FAULTS = [
  'OvercurrentU',
  'OvercurrentV',
  'OvercurrentW',
  'DcOvervoltage',
  'DcUndervoltage',
  'IgbtOvertemp',
  'StatorOvertemp',
  'ResolverLoss',
  'ResolverRange',
  'GateDriverU',
  'GateDriverV',
  'GateDriverW',
  'CurrentSensor',
  'DcCurrentSensor',
  'DesatU',
  'DesatV',
  'DesatW',
  'Overspeed',
  'TorquePlausibility',
  'SafeTorqueOff',
  'ActiveDischarge',
  'CoolantFlow',
  'CanTimeout',
  'Watchdog',
] as const;

function inverter(bus: BusBuilder, p: 'INVF' | 'INVR', axle: string): void {
  const receivers = ['VCU'];
  bus.message({
    name: `${p}_Status`,
    length: 16,
    fd: true,
    sender: p,
    cycleTimeMs: 10,
    receivers,
    comment: `${axle} inverter fast status: what the torque coordinator closes its loop on`,
    signals: [
      crc(`${p}_Status`),
      counter(`${p}_Status`),
      enumeration(`${p}_Mode`, 3, INVERTER_MODE),
      num(`${p}_MotorSpeed`, 16, { signed: true, min: -21000, max: 21000, unit: 'rpm' }),
      num(`${p}_TorqueActual`, 16, { signed: true, scale: 0.1, min: -800, max: 800, unit: 'Nm' }),
      num(`${p}_DcVoltage`, 16, { scale: 0.1, min: 0, max: 1000, unit: 'V' }),
      num(`${p}_DcCurrent`, 16, { signed: true, scale: 0.1, min: -800, max: 800, unit: 'A' }),
      flag(`${p}_Derating`, 'Torque is limited below the request', INACTIVE_ACTIVE),
      enumeration(`${p}_DerateReason`, 3, [
        [0, 'None'],
        [1, 'IgbtTemp'],
        [2, 'StatorTemp'],
        [3, 'DcVoltage'],
        [4, 'Speed'],
        [5, 'Coolant'],
      ]),
      num(`${p}_MechPower`, 12, { signed: true, scale: 0.5, min: -350, max: 350, unit: 'kW' }),
    ],
  });
  bus.message({
    name: `${p}_Currents`,
    length: 16,
    fd: true,
    sender: p,
    cycleTimeMs: 10,
    receivers,
    comment: `${axle} inverter phase and field-oriented currents`,
    signals: ['PhaseCurrentU', 'PhaseCurrentV', 'PhaseCurrentW', 'IdActual', 'IqActual', 'IdCommand', 'IqCommand'].map(
      (n) => num(`${p}_${n}`, 16, { signed: true, scale: 0.1, min: -1200, max: 1200, unit: 'A' }),
    ),
  });
  bus.message({
    name: `${p}_Temperatures`,
    length: 16,
    fd: true,
    sender: p,
    cycleTimeMs: 100,
    receivers: ['VCU', 'TMS'],
    comment: `${axle} inverter and motor temperatures`,
    signals: [
      ...['UHigh', 'ULow', 'VHigh', 'VLow', 'WHigh', 'WLow'].map((s) => temp8(`${p}_IgbtTemp${s}`)),
      temp8(`${p}_IgbtTempMax`, 'Hottest power switch; derating starts at 150 °C'),
      temp8(`${p}_StatorTemp1`),
      temp8(`${p}_StatorTemp2`),
      temp8(`${p}_StatorTemp3`),
      temp8(`${p}_StatorTempMax`, 'Hottest winding sensor; derating starts at 160 °C'),
      temp8(`${p}_RotorTempEst`, 'Rotor magnet temperature from the flux observer'),
      temp8(`${p}_CoolantInTemp`),
      temp8(`${p}_GateDriverTemp`),
      temp8(`${p}_DcLinkCapTemp`),
    ],
  });
  bus.message({
    name: `${p}_Limits`,
    length: 8,
    sender: p,
    cycleTimeMs: 50,
    receivers,
    comment: `${axle} inverter available torque and power`,
    signals: [
      num(`${p}_MaxMotorTorque`, 12, { scale: 0.5, min: 0, max: 800, unit: 'Nm' }),
      num(`${p}_MaxRegenTorque`, 12, { scale: 0.5, min: 0, max: 800, unit: 'Nm' }),
      num(`${p}_MaxSpeed`, 16, { min: 0, max: 21000, unit: 'rpm' }),
      num(`${p}_MaxMotorPower`, 12, { scale: 0.1, min: 0, max: 400, unit: 'kW' }),
      num(`${p}_MaxRegenPower`, 12, { scale: 0.1, min: 0, max: 400, unit: 'kW' }),
    ],
  });
  bus.message({
    name: `${p}_Faults`,
    length: 8,
    sender: p,
    cycleTimeMs: 100,
    receivers,
    comment: `${axle} inverter fault flags; any active fault also sets ${p}_Mode = Fault or ActiveShortCircuit`,
    signals: [
      ...INVERTER_FAULTS.map((f) => flag(`${p}_Flt${f}`, undefined, OK_FAULT)),
      num(`${p}_FaultCount`, 8, { comment: 'Faults latched since power-up' }),
    ],
  });
  bus.message({
    name: `${p}_Diagnostics`,
    length: 16,
    fd: true,
    sender: p,
    cycleTimeMs: 200,
    comment: `${axle} inverter health monitoring`,
    signals: [
      ...['High', 'Low'].map((side) => num(`${p}_GateSupply${side}`, 8, { scale: 0.1, min: 0, max: 25.5, unit: 'V' })),
      num(`${p}_DcLinkRipple`, 10, { scale: 0.1, min: 0, max: 100, unit: 'V' }),
      num(`${p}_DcLinkCapacitance`, 10, {
        min: 0,
        max: 1000,
        unit: 'uF',
        comment: 'Estimated; a falling value means capacitor ageing',
      }),
      num(`${p}_SwitchingFreq`, 6, { scale: 0.5, min: 0, max: 31.5, unit: 'kHz' }),
      num(`${p}_Efficiency`, 7, { min: 0, max: 100, unit: '%' }),
      num(`${p}_ThermalLoad`, 7, { min: 0, max: 100, unit: '%', comment: 'Power-module junction thermal model use' }),
      num(`${p}_StoCounter`, 8, { comment: 'Safe-torque-off events since clear' }),
      num(`${p}_AscCounter`, 8, { comment: 'Active short-circuit events since clear' }),
      num(`${p}_BearingCurrent`, 8, { scale: 0.01, min: 0, max: 2.55, unit: 'A' }),
      flag(`${p}_IsolationWarning`, undefined, NO_YES),
      flag(`${p}_CoolantFlowLow`, undefined, NO_YES),
    ],
  });
  bus.message({
    name: `${p}_Resolver`,
    length: 8,
    sender: p,
    cycleTimeMs: 20,
    comment: `${axle} motor position sensor`,
    signals: [
      num(`${p}_RotorAngle`, 16, { scale: 0.0055, min: 0, max: 360, unit: 'deg' }),
      num(`${p}_ResolverAmplitude`, 12, { scale: 0.001, min: 0, max: 4, unit: 'V' }),
      num(`${p}_ResolverOffset`, 12, { signed: true, scale: 0.01, min: -20, max: 20, unit: 'deg' }),
      flag(`${p}_ResolverValid`, undefined, NO_YES),
    ],
  });
}

function vcu(bus: BusBuilder): void {
  bus.message({
    name: 'VCU_VehicleStatus',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 10,
    receivers: ['INVF', 'INVR', 'GSM', 'TMS'],
    comment: 'Vehicle speed, gear and power mode as the torque coordinator sees them',
    signals: [
      crc('VCU_VehicleStatus'),
      counter('VCU_VehicleStatus'),
      num('VCU_VehicleSpeed', 16, {
        scale: 0.01,
        min: 0,
        max: 300,
        unit: 'km/h',
        comment: 'Displayed-speed basis: ESC reference speed, corrected for tyre rolling radius',
      }),
      enumeration('VCU_GearActual', 3, GEAR),
      enumeration('VCU_GearTarget', 3, GEAR),
      enumeration('VCU_PowerMode', 3, POWER_MODE),
      enumeration('VCU_DriveMode', 4, DRIVE_MODE),
      flag('VCU_ReadyToDrive', 'High voltage on and drive enabled ("Ready" telltale)', NO_YES),
      flag('VCU_BrakePedalPressed', undefined, NO_YES),
      flag('VCU_StandstillHold', undefined, INACTIVE_ACTIVE),
    ],
  });
  bus.message({
    name: 'VCU_PedalStatus',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 10,
    comment: 'Driver pedal inputs after plausibility checks',
    signals: [
      percent10('VCU_AccelPedalPos'),
      num('VCU_AccelPedalRate', 12, { signed: true, scale: 0.5, min: -1000, max: 1000, unit: '%/s' }),
      num('VCU_BrakePedalTravel', 8, { scale: 0.25, min: 0, max: 60, unit: 'mm' }),
      flag('VCU_Kickdown', undefined, INACTIVE_ACTIVE),
      enumeration('VCU_OnePedalLevel', 2, [
        [0, 'Off'],
        [1, 'Low'],
        [2, 'Standard'],
        [3, 'Max'],
      ]),
      enumeration('VCU_CreepMode', 2, [
        [0, 'Off'],
        [1, 'Creep'],
        [2, 'Hold'],
        [3, 'SNA'],
      ]),
      flag('VCU_PedalPlausible', 'Both accelerator tracks agree', NO_YES),
    ],
  });
  bus.message({
    name: 'VCU_TorqueRequest',
    length: 16,
    fd: true,
    sender: 'VCU',
    cycleTimeMs: 10,
    receivers: ['INVF', 'INVR'],
    comment: 'Torque split and mode requests to both inverters',
    signals: [
      crc('VCU_TorqueRequest'),
      counter('VCU_TorqueRequest'),
      num('VCU_TorqueReqFront', 16, { signed: true, scale: 0.1, min: -800, max: 800, unit: 'Nm' }),
      num('VCU_TorqueReqRear', 16, { signed: true, scale: 0.1, min: -800, max: 800, unit: 'Nm' }),
      num('VCU_SpeedLimitFront', 16, { min: 0, max: 21000, unit: 'rpm' }),
      num('VCU_SpeedLimitRear', 16, { min: 0, max: 21000, unit: 'rpm' }),
      enumeration('VCU_ModeReqFront', 3, INVERTER_MODE),
      enumeration('VCU_ModeReqRear', 3, INVERTER_MODE),
      flag('VCU_DischargeReq', 'Active discharge of the DC link (crash or service)', NO_YES),
      percent8('VCU_TorqueSplitRear', 'Share of wheel torque on the rear axle'),
    ],
  });
  bus.message({
    name: 'VCU_EnergyStatus',
    length: 16,
    fd: true,
    sender: 'VCU',
    cycleTimeMs: 100,
    comment: 'Range and consumption shown to the driver',
    signals: [
      num('VCU_RangeEstimate', 10, { min: 0, max: 1000, unit: 'km' }),
      num('VCU_ConsumptionAvg', 10, { scale: 0.1, min: 0, max: 100, unit: 'kWh/100km' }),
      num('VCU_ConsumptionInst', 12, { signed: true, scale: 0.1, min: -200, max: 200, unit: 'kWh/100km' }),
      num('VCU_AuxPower', 10, { scale: 0.02, min: 0, max: 20, unit: 'kW' }),
      num('VCU_AvailDrivePower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('VCU_AvailRegenPower', 10, { min: 0, max: 1000, unit: 'kW' }),
      num('VCU_TractionPower', 12, { signed: true, scale: 0.25, min: -500, max: 500, unit: 'kW' }),
      flag('VCU_PowerLimited', 'Turtle telltale: drive power limited', NO_YES),
    ],
  });
  bus.message({
    name: 'VCU_Odometer',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 1000,
    comment: 'Distance counters; the odometer is stored redundantly in VCU and cluster',
    signals: [
      num('VCU_Odometer', 24, { scale: 0.1, min: 0, max: 1677721.5, unit: 'km' }),
      num('VCU_TripA', 20, { scale: 0.1, min: 0, max: 99999.9, unit: 'km' }),
      num('VCU_TripB', 20, { scale: 0.1, min: 0, max: 99999.9, unit: 'km' }),
    ],
  });
  bus.message({
    name: 'VCU_DriverWarnings',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 200,
    comment: 'Powertrain warnings the cluster shows',
    signals: [
      flag('VCU_WarnHvSystem', 'Stop safely: high-voltage system fault', INACTIVE_ACTIVE),
      flag('VCU_WarnPowertrain', undefined, INACTIVE_ACTIVE),
      flag('VCU_WarnLowSoc', undefined, INACTIVE_ACTIVE),
      flag('VCU_WarnCharging', undefined, INACTIVE_ACTIVE),
      flag('VCU_WarnOverheat', undefined, INACTIVE_ACTIVE),
      flag('VCU_WarnPedestrianSound', 'Acoustic vehicle alerting system fault', INACTIVE_ACTIVE),
      flag('VCU_ShiftToPark', undefined, INACTIVE_ACTIVE),
      flag('VCU_PressBrakeToStart', undefined, INACTIVE_ACTIVE),
      enumeration('VCU_LimpHomeReason', 4, [
        [0, 'None'],
        [1, 'Battery'],
        [2, 'InverterFront'],
        [3, 'InverterRear'],
        [4, 'Thermal'],
        [5, 'Sensor'],
      ]),
    ],
  });
  bus.message({
    name: 'VCU_ThermalRequest',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 100,
    receivers: ['TMS'],
    comment: 'Cooling and heating demands of the drive units and battery',
    signals: [
      percent8('VCU_CoolReqDriveUnits'),
      percent8('VCU_CoolReqBattery'),
      percent8('VCU_HeatReqBattery'),
      temp8('VCU_BatteryTargetTemp'),
      enumeration('VCU_PrecondMode', 3, [
        [0, 'Off'],
        [1, 'Departure'],
        [2, 'FastCharge'],
        [3, 'Track'],
      ]),
      flag('VCU_CabinPriority', 'Cabin comfort may take heat-pump capacity from the battery', NO_YES),
    ],
  });
  bus.message({
    name: 'VCU_ChargeControl',
    length: 8,
    sender: 'VCU',
    cycleTimeMs: 100,
    receivers: ['CCU', 'OBC'],
    comment: 'Charge targets from the driver and the energy manager',
    signals: [
      num('VCU_TargetSoc', 7, { min: 50, max: 100, unit: '%' }),
      num('VCU_AcCurrentLimit', 6, { min: 0, max: 32, unit: 'A' }),
      num('VCU_DepartureTime', 11, { min: 0, max: 1439, unit: 'min', comment: 'Minutes after midnight' }),
      flag('VCU_ChargeEnable', undefined, NO_YES),
      flag('VCU_ScheduledCharging', undefined, INACTIVE_ACTIVE),
      flag('VCU_V2lEnable', 'Vehicle-to-load outlet requested', NO_YES),
      num('VCU_V2lPowerLimit', 6, { scale: 0.1, min: 0, max: 3.6, unit: 'kW' }),
    ],
  });
}

function charging(bus: BusBuilder): void {
  bus.message({
    name: 'OBC_AcInput',
    length: 16,
    fd: true,
    sender: 'OBC',
    cycleTimeMs: 100,
    comment: 'Mains side of the on-board charger',
    signals: [
      ...['L1', 'L2', 'L3'].map((l) => num(`OBC_AcVoltage${l}`, 10, { scale: 0.5, min: 0, max: 300, unit: 'V' })),
      ...['L1', 'L2', 'L3'].map((l) => num(`OBC_AcCurrent${l}`, 9, { scale: 0.1, min: 0, max: 40, unit: 'A' })),
      num('OBC_AcFrequency', 8, { scale: 0.1, offset: 40, min: 45, max: 65, unit: 'Hz' }),
      num('OBC_PowerFactor', 7, { scale: 0.01, min: 0, max: 1 }),
      num('OBC_PhasesDetected', 2, { min: 0, max: 3 }),
    ],
  });
  bus.message({
    name: 'OBC_DcOutput',
    length: 8,
    sender: 'OBC',
    cycleTimeMs: 100,
    receivers: ['VCU', 'CCU'],
    comment: 'Battery side of the on-board charger',
    signals: [
      num('OBC_DcVoltage', 13, { scale: 0.1, min: 0, max: 819, unit: 'V' }),
      num('OBC_DcCurrent', 10, { scale: 0.1, min: 0, max: 60, unit: 'A' }),
      num('OBC_OutputPower', 9, { scale: 0.05, min: 0, max: 23, unit: 'kW' }),
      num('OBC_Efficiency', 7, { min: 0, max: 100, unit: '%' }),
      enumeration('OBC_State', 3, [
        [0, 'Off'],
        [1, 'Standby'],
        [2, 'Charging'],
        [3, 'Derating'],
        [4, 'Fault'],
        [5, 'V2L'],
      ]),
      temp8('OBC_TempPfc'),
      temp8('OBC_TempLlc'),
    ],
  });
  bus.message({
    name: 'OBC_Faults',
    length: 8,
    sender: 'OBC',
    cycleTimeMs: 100,
    comment: 'On-board charger fault flags',
    signals: [
      'AcOvervoltage',
      'AcUndervoltage',
      'AcOvercurrent',
      'DcOvervoltage',
      'DcOvercurrent',
      'Overtemp',
      'GroundFault',
      'PhaseLoss',
      'PfcFault',
      'LlcFault',
      'FanFault',
      'CommTimeout',
    ].map((f) => flag(`OBC_Flt${f}`, undefined, OK_FAULT)),
  });
  bus.message({
    name: 'DCDC_Status',
    length: 8,
    sender: 'DCDC',
    cycleTimeMs: 100,
    receivers: ['VCU'],
    comment: 'DC/DC converter feeding the 12 V network',
    signals: [
      num('DCDC_HvVoltage', 12, { scale: 0.25, min: 0, max: 1000, unit: 'V' }),
      num('DCDC_HvCurrent', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      lowVoltage('DCDC_LvVoltage', 'Output voltage at the 12 V terminal'),
      num('DCDC_LvCurrent', 10, { scale: 0.25, min: 0, max: 250, unit: 'A' }),
      enumeration('DCDC_State', 3, [
        [0, 'Off'],
        [1, 'Standby'],
        [2, 'Buck'],
        [3, 'Derating'],
        [4, 'Fault'],
      ]),
      temp8('DCDC_Temp'),
      num('DCDC_Efficiency', 7, { min: 0, max: 100, unit: '%' }),
      flag('DCDC_FltOvertemp', undefined, OK_FAULT),
      flag('DCDC_FltOutputShort', undefined, OK_FAULT),
      flag('DCDC_FltInputRange', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'CCU_ChargeStatus',
    length: 32,
    fd: true,
    sender: 'CCU',
    cycleTimeMs: 100,
    receivers: ['VCU', 'OBC'],
    comment: 'Charging session state as negotiated with the charging station',
    signals: [
      enumeration('CCU_ChargeState', 4, CHARGE_STATE, 'Charging session state shown in the app and the cluster'),
      enumeration('CCU_PlugState', 3, CHARGE_PLUG),
      enumeration('CCU_InletLock', 2, LOCK_STATE),
      percent8('CCU_CpDutyCycle', 'Control pilot PWM duty (IEC 61851): sets the AC current limit'),
      num('CCU_CpVoltage', 8, { scale: 0.1, min: 0, max: 12, unit: 'V' }),
      enumeration('CCU_ProximityState', 3, [
        [0, 'None'],
        [1, '13A'],
        [2, '20A'],
        [3, '32A'],
        [4, '63A'],
        [7, 'SNA'],
      ]),
      enumeration('CCU_Iso15118State', 4, [
        [0, 'Idle'],
        [1, 'SessionSetup'],
        [2, 'Authorization'],
        [3, 'ChargeParameter'],
        [4, 'CableCheck'],
        [5, 'PreCharge'],
        [6, 'Charging'],
        [7, 'WeldingDetection'],
        [8, 'SessionStop'],
        [15, 'SNA'],
      ]),
      flag('CCU_PlugAndCharge', 'Session authorised by contract certificate', NO_YES),
      num('CCU_EvseMaxVoltage', 12, { scale: 0.25, min: 0, max: 1000, unit: 'V' }),
      num('CCU_EvseMaxCurrent', 10, { min: 0, max: 1000, unit: 'A' }),
      num('CCU_EvseVoltage', 12, { scale: 0.25, min: 0, max: 1000, unit: 'V' }),
      num('CCU_EvseCurrent', 10, { min: 0, max: 1000, unit: 'A' }),
      num('CCU_ChargePower', 10, { scale: 0.5, min: 0, max: 350, unit: 'kW' }),
      num('CCU_EnergyDelivered', 12, { scale: 0.05, min: 0, max: 200, unit: 'kWh' }),
      num('CCU_TimeToFull', 10, { min: 0, max: 1000, unit: 'min' }),
      temp8('CCU_InletTempAcL1'),
      temp8('CCU_InletTempAcN'),
      temp8('CCU_InletTempDcPos'),
      temp8('CCU_InletTempDcNeg'),
      flag('CCU_FltInletOvertemp', undefined, OK_FAULT),
      flag('CCU_FltLockFailure', undefined, OK_FAULT),
      flag('CCU_FltPilotFault', undefined, OK_FAULT),
      flag('CCU_FltIsolationCheck', undefined, OK_FAULT),
    ],
  });
}

const COOLANT_SENSORS = [
  ['MotorLoopIn', 'Drive-unit loop inlet: the coolant temperature fault rules watch'],
  ['MotorLoopOut', undefined],
  ['BatteryLoopIn', undefined],
  ['BatteryLoopOut', undefined],
  ['RadiatorIn', undefined],
  ['RadiatorOut', undefined],
  ['ChillerIn', undefined],
  ['ChillerOut', undefined],
  ['HeaterCoreIn', undefined],
  ['InverterFrontIn', undefined],
  ['InverterRearIn', undefined],
  ['ObcIn', undefined],
] as const;

function thermal(bus: BusBuilder): void {
  bus.message({
    name: 'TMS_CoolantTemps',
    length: 16,
    fd: true,
    sender: 'TMS',
    cycleTimeMs: 100,
    comment: 'Coolant temperatures around both loops',
    signals: COOLANT_SENSORS.map(([s, c]) => temp8(`TMS_Temp${s}`, c)),
  });
  bus.message({
    name: 'TMS_Actuators',
    length: 16,
    fd: true,
    sender: 'TMS',
    cycleTimeMs: 100,
    receivers: ['EWP1', 'EWP2', 'EWP3', 'CFAN'],
    comment: 'Commands to pumps, valves, fan and grille shutter',
    signals: [
      ...[1, 2, 3].map((n) => percent8(`TMS_PumpCmd${n}`)),
      ...['BatteryBypass', 'MotorBypass', 'Chiller', 'Radiator', 'HeaterCore', 'OctoValve'].map((v) =>
        percent8(`TMS_Valve${v}`),
      ),
      percent8('TMS_FanCmd'),
      percent8('TMS_GrilleShutter'),
      flag('TMS_FltValveStuck', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'TMS_Refrigerant',
    length: 16,
    fd: true,
    sender: 'TMS',
    cycleTimeMs: 100,
    comment: 'Heat-pump refrigerant circuit (R744)',
    signals: [
      num('TMS_HighSidePressure', 12, { scale: 0.05, min: 0, max: 160, unit: 'bar' }),
      num('TMS_LowSidePressure', 12, { scale: 0.05, min: 0, max: 80, unit: 'bar' }),
      temp16('TMS_DischargeTemp'),
      temp16('TMS_SuctionTemp'),
      temp16('TMS_EvaporatorTemp'),
      num('TMS_Superheat', 8, { scale: 0.2, min: 0, max: 50, unit: 'K' }),
      num('TMS_Subcool', 8, { scale: 0.2, min: 0, max: 50, unit: 'K' }),
    ],
  });
  bus.message({
    name: 'TMS_Modes',
    length: 8,
    sender: 'TMS',
    cycleTimeMs: 200,
    comment: 'Thermal operating modes',
    signals: [
      enumeration('TMS_HeatPumpMode', 4, [
        [0, 'Off'],
        [1, 'Cooling'],
        [2, 'Heating'],
        [3, 'Dehumidify'],
        [4, 'BatteryHeat'],
        [5, 'BatteryCool'],
        [6, 'Deice'],
        [7, 'WasteHeat'],
        [15, 'SNA'],
      ]),
      enumeration('TMS_BatteryThermal', 3, [
        [0, 'Idle'],
        [1, 'Heating'],
        [2, 'Cooling'],
        [3, 'Equalising'],
      ]),
      flag('TMS_CompressorEnable', undefined, NO_YES),
      flag('TMS_PtcEnable', undefined, NO_YES),
      flag('TMS_CoolantLevelLow', 'Expansion tank level switch', NO_YES),
      num('TMS_CoolantFlowMotor', 8, { scale: 0.1, min: 0, max: 25, unit: 'l/min' }),
      num('TMS_CoolantFlowBattery', 8, { scale: 0.1, min: 0, max: 25, unit: 'l/min' }),
    ],
  });
  bus.message({
    name: 'EAC_Status',
    length: 8,
    sender: 'EAC',
    cycleTimeMs: 100,
    receivers: ['TMS'],
    comment: 'Electric compressor',
    signals: [
      num('EAC_Speed', 14, { min: 0, max: 12000, unit: 'rpm' }),
      num('EAC_Power', 10, { scale: 10, min: 0, max: 10000, unit: 'W' }),
      num('EAC_HvCurrent', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      temp8('EAC_InverterTemp'),
      enumeration('EAC_State', 3, [
        [0, 'Off'],
        [1, 'Starting'],
        [2, 'Running'],
        [3, 'Derating'],
        [4, 'Fault'],
      ]),
      flag('EAC_FltHvRange', undefined, OK_FAULT),
      flag('EAC_FltOvercurrent', undefined, OK_FAULT),
      flag('EAC_FltStall', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'PTC_Status',
    length: 8,
    sender: 'PTC',
    cycleTimeMs: 100,
    receivers: ['TMS'],
    comment: 'High-voltage coolant heater',
    signals: [
      num('PTC_Power', 8, { scale: 0.05, min: 0, max: 10, unit: 'kW' }),
      num('PTC_HvCurrent', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      temp8('PTC_CoolantOutTemp'),
      temp8('PTC_HeaterTemp'),
      enumeration('PTC_State', 2, [
        [0, 'Off'],
        [1, 'Heating'],
        [2, 'Derating'],
        [3, 'Fault'],
      ]),
      flag('PTC_FltOvertemp', undefined, OK_FAULT),
      flag('PTC_FltDryHeating', 'Heating without coolant flow', OK_FAULT),
    ],
  });
  for (const n of [1, 2, 3]) {
    bus.message({
      name: `EWP${n}_Status`,
      length: 8,
      sender: `EWP${n}`,
      cycleTimeMs: 100,
      receivers: ['TMS'],
      comment: `Electric water pump ${n}`,
      signals: [
        num(`EWP${n}_Speed`, 13, { min: 0, max: 6000, unit: 'rpm' }),
        num(`EWP${n}_Current`, 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
        temp8(`EWP${n}_Temp`),
        flag(`EWP${n}_DryRun`, undefined, NO_YES),
        flag(`EWP${n}_Blocked`, undefined, NO_YES),
        flag(`EWP${n}_FltOvertemp`, undefined, OK_FAULT),
      ],
    });
  }
  bus.message({
    name: 'CFAN_Status',
    length: 8,
    sender: 'CFAN',
    cycleTimeMs: 100,
    receivers: ['TMS'],
    comment: 'Radiator fan',
    signals: [
      num('CFAN_Speed', 13, { min: 0, max: 4000, unit: 'rpm' }),
      percent8('CFAN_Duty'),
      num('CFAN_Current', 9, { scale: 0.1, min: 0, max: 50, unit: 'A' }),
      flag('CFAN_Stalled', undefined, NO_YES),
      flag('CFAN_FltOvercurrent', undefined, OK_FAULT),
    ],
  });
}

function gearSelector(bus: BusBuilder): void {
  const buttons: SignalSpec[] = ['ParkButton', 'ModeButton', 'PaddleMinus', 'PaddlePlus'].map((b) =>
    flag(`GSM_${b}`, undefined, OFF_ON),
  );
  bus.message({
    name: 'GSM_Request',
    length: 8,
    sender: 'GSM',
    cycleTimeMs: 20,
    receivers: ['VCU'],
    comment: 'Gear lever and buttons',
    signals: [
      crc('GSM_Request'),
      counter('GSM_Request'),
      enumeration('GSM_LeverPosition', 4, [
        [0, 'Center'],
        [1, 'UpHalf'],
        [2, 'UpFull'],
        [3, 'DownHalf'],
        [4, 'DownFull'],
        [15, 'SNA'],
      ]),
      ...buttons,
      enumeration('GSM_GearRequest', 3, GEAR),
      flag('GSM_FltLeverSensor', undefined, OK_FAULT),
    ],
  });
}

export function auroraPowertrain(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'powertrain',
      index: 0,
      dbcFile: 'aurora_powertrain.dbc',
      bitrate: 500_000,
      dataBitrate: 2_000_000,
      comment: 'Powertrain, charging and thermal domain',
    },
    'aurora_powertrain',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, 0x10 + i));
  vcu(bus);
  inverter(bus, 'INVF', 'Front');
  inverter(bus, 'INVR', 'Rear');
  charging(bus);
  thermal(bus);
  gearSelector(bus);
  return bus.build();
}
