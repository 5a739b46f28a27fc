/**
 * Cargo Van E body and chassis bus (classic CAN 250 kbit/s). Brakes and steering come from a Motorola supplier;
 * the tachograph and the body-builder module speak J1939 on 29-bit ids, as commercial-vehicle equipment does.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import { gnssPosition } from '../telematics.js';
import { enumeration, flag, lowVoltage, num, percent8, WHEELS } from '../signals.js';
import { DOOR_STATE, LAMP_STATE, LOCK_STATE, NO_YES, OK_FAULT, TPMS_STATUS } from '../tables.js';

const ECUS: readonly Ecu[] = [
  { name: 'ESC', comment: 'Brakes and stability control' },
  { name: 'EPS', comment: 'Electric power steering' },
  { name: 'BCM', comment: 'Body control module with TPMS receiver and battery sensor' },
  { name: 'IC', comment: 'Instrument cluster' },
  { name: 'TCU', comment: 'Fleet telematics unit' },
  { name: 'TCO', comment: 'Digital tachograph (J1939 source address 0xEE)' },
  { name: 'BBM', comment: 'Body-builder module: cargo box, tail lift, refrigeration (J1939 source address 0xE5)' },
];

/** J1939: priority, PGN and source address → the 29-bit id. */
const j1939 = (priority: number, pgn: number, source: number): number => ((priority << 26) | (pgn << 8) | source) >>> 0;

function chassis(bus: BusBuilder): void {
  bus.message({
    name: 'ESC_Wheels',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 20,
    byteOrder: 'big_endian',
    comment: 'Wheel speeds',
    signals: WHEELS.map((w) => num(`ESC_WheelSpeed${w}`, 16, { scale: 0.01, min: 0, max: 250, unit: 'km/h' })),
  });
  bus.message({
    name: 'ESC_Brake',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 20,
    byteOrder: 'big_endian',
    comment: 'Brake pressure and interventions',
    signals: [
      num('ESC_BrakePressure', 12, { scale: 0.1, min: 0, max: 250, unit: 'bar', comment: 'Master cylinder pressure' }),
      num('ESC_LongAccel', 10, { signed: true, scale: 0.05, min: -25.6, max: 25.55, unit: 'm/s²' }),
      num('ESC_YawRate', 12, { signed: true, scale: 0.05, min: -100, max: 100, unit: 'deg/s' }),
      flag('ESC_AbsActive', undefined, NO_YES),
      flag('ESC_EscActive', undefined, NO_YES),
      flag('ESC_TcsActive', undefined, NO_YES),
      flag('ESC_ParkBrakeApplied', undefined, NO_YES),
      flag('ESC_BrakePadWear', undefined, NO_YES),
      flag('ESC_FltAbs', undefined, OK_FAULT),
      flag('ESC_FltBrakeFluid', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'EPS_Status',
    length: 8,
    sender: 'EPS',
    cycleTimeMs: 20,
    byteOrder: 'big_endian',
    comment: 'Steering',
    signals: [
      num('EPS_SteeringAngle', 16, { signed: true, scale: 0.1, min: -720, max: 720, unit: 'deg' }),
      num('EPS_DriverTorque', 12, { signed: true, scale: 0.01, min: -20, max: 20, unit: 'Nm' }),
      num('EPS_MotorCurrent', 8, { scale: 0.5, min: 0, max: 120, unit: 'A' }),
      flag('EPS_FltAssistReduced', undefined, OK_FAULT),
    ],
  });
}

function body(bus: BusBuilder): void {
  bus.message({
    name: 'BCM_Doors',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 200,
    comment: 'Cab doors, sliding doors and rear doors',
    signals: [
      enumeration('BCM_DoorDriver', 2, DOOR_STATE),
      enumeration('BCM_DoorPassenger', 2, DOOR_STATE),
      enumeration('BCM_SlidingDoorLeft', 2, DOOR_STATE),
      enumeration('BCM_SlidingDoorRight', 2, DOOR_STATE),
      enumeration('BCM_RearDoors', 2, DOOR_STATE),
      enumeration('BCM_CabLock', 2, LOCK_STATE),
      enumeration('BCM_CargoLock', 2, LOCK_STATE, 'Cargo area locks separately from the cab'),
      enumeration('BCM_LowBeam', 2, LAMP_STATE),
      enumeration('BCM_HazardLamps', 2, LAMP_STATE),
      enumeration('BCM_CargoLight', 2, LAMP_STATE),
      flag('BCM_ReverseBeeper', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'BCM_Power',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 100,
    comment: '12 V system and outside temperature',
    signals: [
      num('BCM_BatteryVoltage', 10, {
        scale: 0.02,
        min: 0,
        max: 20,
        unit: 'V',
        comment: '12 V battery terminal voltage',
      }),
      num('BCM_BatteryCurrent', 12, { signed: true, scale: 0.1, min: -200, max: 200, unit: 'A' }),
      percent8('BCM_BatterySoc'),
      num('BCM_AmbientTemp', 8, { scale: 0.5, offset: -40, min: -40, max: 87.5, unit: '°C' }),
      enumeration('BCM_Ignition', 2, [
        [0, 'Off'],
        [1, 'Accessory'],
        [2, 'On'],
        [3, 'Start'],
      ]),
    ],
  });
  bus.message({
    name: 'BCM_Tpms',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 1000,
    comment: 'Tyre pressures (gauge); vans run higher pressures at the rear',
    signals: [
      ...WHEELS.map((w) => num(`BCM_TyrePressure${w}`, 8, { scale: 2.5, min: 0, max: 635, unit: 'kPa' })),
      ...WHEELS.map((w) => enumeration(`BCM_TyreStatus${w}`, 3, TPMS_STATUS)),
    ],
  });
  bus.message({
    name: 'IC_Odometer',
    length: 8,
    sender: 'IC',
    cycleTimeMs: 1000,
    comment: 'Odometer and service',
    signals: [
      num('IC_Odometer', 24, { scale: 0.1, min: 0, max: 1677721.5, unit: 'km' }),
      num('IC_ServiceDistance', 16, { signed: true, scale: 10, min: -50000, max: 50000, unit: 'km' }),
      flag('IC_ServiceDue', undefined, NO_YES),
      enumeration('IC_WarningLamp', 2, LAMP_STATE),
    ],
  });
  gnssPosition(bus, 'TCU');
  bus.message({
    name: 'TCU_Status',
    length: 8,
    sender: 'TCU',
    cycleTimeMs: 1000,
    comment: 'Telematics connectivity and driver login',
    signals: [
      num('TCU_SignalStrength', 8, { signed: true, min: -128, max: 0, unit: 'dBm' }),
      num('TCU_Satellites', 6, { max: 63 }),
      flag('TCU_DriverLoggedIn', undefined, NO_YES),
      num('TCU_DriverCardId', 32, { comment: 'Hash of the driver card, not the card number' }),
    ],
  });
}

function j1939Frames(bus: BusBuilder): void {
  const states = [
    [0, 'Rest'],
    [1, 'Available'],
    [2, 'Work'],
    [3, 'Drive'],
    [6, 'Error'],
    [7, 'NotAvailable'],
  ] as const;
  bus.message({
    name: 'TCO1',
    frameId: j1939(3, 0xfe6c, 0xee),
    extended: true,
    length: 8,
    sender: 'TCO',
    cycleTimeMs: 50,
    comment: 'J1939 PGN 65132 tachograph: driver states and vehicle speed',
    signals: [
      enumeration('TCO_Driver1State', 3, states),
      enumeration('TCO_Driver2State', 3, states),
      enumeration('TCO_VehicleMotion', 2, [
        [0, 'NotMoving'],
        [1, 'Moving'],
        [2, 'Error'],
        [3, 'NotAvailable'],
      ]),
      enumeration('TCO_Driver1TimeState', 4, [
        [0, 'Normal'],
        [1, '15minBefore4h30'],
        [2, '4h30Reached'],
        [3, '15minBeforeDailyLimit'],
        [4, 'DailyLimitReached'],
        [15, 'NotAvailable'],
      ]),
      enumeration('TCO_Driver1Card', 2, [
        [0, 'NotPresent'],
        [1, 'Present'],
        [2, 'Error'],
        [3, 'NotAvailable'],
      ]),
      enumeration('TCO_Overspeed', 2, [
        [0, 'NoOverspeed'],
        [1, 'Overspeed'],
        [2, 'Error'],
        [3, 'NotAvailable'],
      ]),
      num('TCO_ShaftSpeed', 16, { scale: 0.125, min: 0, max: 8031.875, unit: 'rpm' }),
      num('TCO_VehicleSpeed', 16, { scale: 0.00390625, min: 0, max: 250.996, unit: 'km/h' }),
    ],
  });
  bus.message({
    name: 'BBM_CargoStatus',
    frameId: j1939(6, 0xff10, 0xe5),
    extended: true,
    length: 8,
    sender: 'BBM',
    cycleTimeMs: 500,
    comment: 'Proprietary B PGN 0xFF10: refrigerated cargo box and tail lift',
    signals: [
      num('BBM_CargoTemp', 11, { signed: true, scale: 0.1, min: -40, max: 60, unit: '°C' }),
      num('BBM_CargoTempSetpoint', 11, { signed: true, scale: 0.1, min: -40, max: 60, unit: '°C' }),
      flag('BBM_ReeferOn', undefined, NO_YES),
      flag('BBM_CargoDoorOpen', undefined, NO_YES),
      enumeration('BBM_TailLift', 2, [
        [0, 'Stowed'],
        [1, 'Deployed'],
        [2, 'Moving'],
        [3, 'Fault'],
      ]),
      num('BBM_ReeferPower', 8, { scale: 0.05, min: 0, max: 12, unit: 'kW' }),
      lowVoltage('BBM_AuxBatteryVoltage'),
    ],
  });
}

export function vanBody(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'body',
      index: 1,
      dbcFile: 'van_body.dbc',
      bitrate: 250_000,
      comment: 'Chassis, body, telematics, tachograph',
    },
    'van_body',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, i + 0x10, { networkManagement: false, version: false, security: false }));
  chassis(bus);
  body(bus);
  j1939Frames(bus);
  return bus.build();
}
