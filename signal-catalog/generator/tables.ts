/**
 * VAL_ tables shared by both models. Raw all-ones is "SNA" (signal not available) wherever a table has room for it,
 * as in most production matrices, so a receiver can tell "no value" from a value.
 */
import type { ValueTable } from './layout.js';

export const OFF_ON: ValueTable = [
  [0, 'Off'],
  [1, 'On'],
];
export const OFF_ON_ERR_SNA: ValueTable = [
  [0, 'Off'],
  [1, 'On'],
  [2, 'Error'],
  [3, 'SNA'],
];
export const NO_YES: ValueTable = [
  [0, 'No'],
  [1, 'Yes'],
];
export const OK_FAULT: ValueTable = [
  [0, 'OK'],
  [1, 'Fault'],
];
export const INACTIVE_ACTIVE: ValueTable = [
  [0, 'Inactive'],
  [1, 'Active'],
];
export const VALID_INVALID: ValueTable = [
  [0, 'Valid'],
  [1, 'Invalid'],
];

export const GEAR: ValueTable = [
  [0, 'P'],
  [1, 'R'],
  [2, 'N'],
  [3, 'D'],
  [4, 'B'],
  [7, 'SNA'],
];
export const DRIVE_MODE: ValueTable = [
  [0, 'Comfort'],
  [1, 'Eco'],
  [2, 'Sport'],
  [3, 'Individual'],
  [4, 'Snow'],
  [5, 'Offroad'],
  [6, 'Tow'],
  [15, 'SNA'],
];
export const ECU_STATE: ValueTable = [
  [0, 'Init'],
  [1, 'Running'],
  [2, 'Degraded'],
  [3, 'LimpHome'],
  [4, 'Fault'],
  [5, 'PrepareSleep'],
  [7, 'SNA'],
];
export const WAKEUP_REASON: ValueTable = [
  [0, 'None'],
  [1, 'Bus'],
  [2, 'Ignition'],
  [3, 'DoorHandle'],
  [4, 'Charger'],
  [5, 'Timer'],
  [6, 'Remote'],
  [255, 'SNA'],
];
export const DTC_SEVERITY: ValueTable = [
  [0, 'NoSeverity'],
  [1, 'MaintenanceOnly'],
  [2, 'CheckAtNextHalt'],
  [4, 'CheckImmediately'],
  [7, 'SNA'],
];
export const CHARGE_STATE: ValueTable = [
  [0, 'NotConnected'],
  [1, 'Connected'],
  [2, 'Preparing'],
  [3, 'ChargingAC'],
  [4, 'ChargingDC'],
  [5, 'Complete'],
  [6, 'Scheduled'],
  [7, 'Paused'],
  [8, 'Fault'],
  [15, 'SNA'],
];
export const CONTACTOR_STATE: ValueTable = [
  [0, 'Open'],
  [1, 'Precharge'],
  [2, 'Closed'],
  [3, 'Opening'],
  [4, 'Welded'],
  [5, 'Fault'],
  [7, 'SNA'],
];
export const DOOR_STATE: ValueTable = [
  [0, 'Closed'],
  [1, 'Ajar'],
  [2, 'Open'],
  [3, 'SNA'],
];
export const LOCK_STATE: ValueTable = [
  [0, 'Unlocked'],
  [1, 'Locked'],
  [2, 'DoubleLocked'],
  [3, 'SNA'],
];
export const INVERTER_MODE: ValueTable = [
  [0, 'Standby'],
  [1, 'Precharge'],
  [2, 'TorqueControl'],
  [3, 'SpeedControl'],
  [4, 'ActiveShortCircuit'],
  [5, 'Freewheel'],
  [6, 'Discharge'],
  [7, 'Fault'],
];
export const POWER_MODE: ValueTable = [
  [0, 'Off'],
  [1, 'Accessory'],
  [2, 'Ready'],
  [3, 'Drive'],
  [4, 'Charge'],
  [5, 'Service'],
  [7, 'SNA'],
];
export const CHARGE_PLUG: ValueTable = [
  [0, 'Unplugged'],
  [1, 'PluggedAC'],
  [2, 'PluggedDC'],
  [3, 'PluggedUnlatched'],
  [7, 'SNA'],
];
export const LAMP_STATE: ValueTable = [
  [0, 'Off'],
  [1, 'On'],
  [2, 'Flashing'],
  [3, 'SNA'],
];
export const HEAT_LEVEL: ValueTable = [
  [0, 'Off'],
  [1, 'Low'],
  [2, 'Medium'],
  [3, 'High'],
];
export const OBJECT_CLASS: ValueTable = [
  [0, 'Unknown'],
  [1, 'Car'],
  [2, 'Truck'],
  [3, 'Motorcycle'],
  [4, 'Bicycle'],
  [5, 'Pedestrian'],
  [6, 'Animal'],
  [7, 'Static'],
];
export const OBJECT_MOTION: ValueTable = [
  [0, 'Moving'],
  [1, 'Stationary'],
  [2, 'Oncoming'],
  [3, 'CrossingLeft'],
  [4, 'CrossingRight'],
  [5, 'Stopped'],
  [7, 'Unknown'],
];
export const TPMS_STATUS: ValueTable = [
  [0, 'OK'],
  [1, 'LowPressure'],
  [2, 'VeryLowPressure'],
  [3, 'HighTemperature'],
  [4, 'SensorFault'],
  [5, 'SensorMissing'],
  [6, 'Learning'],
  [7, 'SNA'],
];
export const ACC_STATE: ValueTable = [
  [0, 'Off'],
  [1, 'Standby'],
  [2, 'Active'],
  [3, 'Override'],
  [4, 'StandstillHold'],
  [5, 'Fault'],
  [7, 'SNA'],
];
