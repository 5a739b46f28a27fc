/**
 * Aurora chassis bus (classic CAN 500 kbit/s). The brake and stability suppliers write Motorola byte order, as their
 * matrices traditionally are; the remaining chassis ECUs follow the vehicle's Intel convention.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import { counter, crc, enumeration, flag, num, percent8, temp8, WHEELS } from '../signals.js';
import { INACTIVE_ACTIVE, NO_YES, OK_FAULT, TPMS_STATUS, VALID_INVALID } from '../tables.js';

const ECUS: readonly Ecu[] = [
  { name: 'ESC', comment: 'Electronic stability control with ABS, TCS and hill-start assist' },
  { name: 'IBC', comment: 'Integrated brake control: brake-by-wire pressure supply and regen blending' },
  { name: 'EPS', comment: 'Electric power steering' },
  { name: 'EPB', comment: 'Electric parking brake, rear calipers' },
  { name: 'ASU', comment: 'Air suspension and adaptive dampers' },
  { name: 'TPMS', comment: 'Direct tyre pressure monitoring receiver' },
  { name: 'SAS', comment: 'Steering angle sensor' },
  { name: 'IMU', comment: 'Six-axis inertial measurement unit' },
  { name: 'RWS', comment: 'Rear-wheel steering actuator' },
];

const WHEEL_NAMES: Readonly<Record<(typeof WHEELS)[number], string>> = {
  FL: 'front left',
  FR: 'front right',
  RL: 'rear left',
  RR: 'rear right',
};
const DIRECTION = [
  [0, 'Standstill'],
  [1, 'Forward'],
  [2, 'Backward'],
  [3, 'SNA'],
] as const;

function stability(bus: BusBuilder): void {
  const motorola = 'big_endian';
  bus.message({
    name: 'ESC_WheelSpeeds',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 10,
    byteOrder: motorola,
    receivers: ['IBC', 'EPS', 'ASU', 'RWS'],
    comment: 'Wheel speeds from the ABS sensors',
    signals: WHEELS.map((w) =>
      num(`ESC_WheelSpeed${w}`, 14, {
        scale: 0.02,
        min: 0,
        max: 320,
        unit: 'km/h',
        comment: `${WHEEL_NAMES[w]} wheel`,
      }),
    ).concat(WHEELS.map((w) => enumeration(`ESC_WheelDir${w}`, 2, DIRECTION))),
  });
  bus.message({
    name: 'ESC_WheelPulses',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 20,
    byteOrder: motorola,
    comment: 'Raw wheel-pulse counters (48 teeth) for odometry',
    signals: [
      ...WHEELS.map((w) => num(`ESC_WheelPulses${w}`, 10)),
      ...WHEELS.map((w) => flag(`ESC_WheelPulseQ${w}`, 'Pulse count quality', VALID_INVALID)),
    ],
  });
  bus.message({
    name: 'ESC_VehicleDynamics',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 10,
    byteOrder: motorola,
    receivers: ['IBC', 'EPS', 'ASU', 'RWS'],
    comment: 'Reference speed and body motion used by every chassis function',
    signals: [
      crc('ESC_VehDyn'),
      counter('ESC_VehDyn'),
      num('ESC_VehicleSpeed', 14, { scale: 0.02, min: 0, max: 320, unit: 'km/h' }),
      num('ESC_LongAccel', 12, { signed: true, scale: 0.01, min: -20, max: 20, unit: 'm/s²' }),
      num('ESC_LatAccel', 12, { signed: true, scale: 0.01, min: -20, max: 20, unit: 'm/s²' }),
      num('ESC_YawRate', 14, { signed: true, scale: 0.01, min: -81.91, max: 81.91, unit: 'deg/s' }),
    ],
  });
  bus.message({
    name: 'ESC_Status',
    length: 8,
    sender: 'ESC',
    cycleTimeMs: 20,
    byteOrder: motorola,
    comment: 'Stability-control interventions and driver switches',
    signals: [
      flag('ESC_EscActive', undefined, INACTIVE_ACTIVE),
      flag('ESC_AbsActive', undefined, INACTIVE_ACTIVE),
      flag('ESC_TcsActive', undefined, INACTIVE_ACTIVE),
      flag('ESC_EbdActive', undefined, INACTIVE_ACTIVE),
      flag('ESC_HillHoldActive', undefined, INACTIVE_ACTIVE),
      flag('ESC_HdcActive', 'Hill descent control', INACTIVE_ACTIVE),
      flag('ESC_EscOffSwitch', undefined, NO_YES),
      enumeration('ESC_EscMode', 2, [
        [0, 'On'],
        [1, 'Sport'],
        [2, 'Off'],
        [3, 'SNA'],
      ]),
      flag('ESC_BrakeLampReq', undefined, NO_YES),
      flag('ESC_FltAbs', undefined, OK_FAULT),
      flag('ESC_FltEsc', undefined, OK_FAULT),
      ...WHEELS.map((w) => flag(`ESC_FltWheelSensor${w}`, undefined, OK_FAULT)),
      num('ESC_TcsTorqueReduction', 10, { min: 0, max: 1000, unit: 'Nm' }),
    ],
  });
  bus.message({
    name: 'IBC_BrakePressure',
    length: 8,
    sender: 'IBC',
    cycleTimeMs: 10,
    byteOrder: motorola,
    receivers: ['ESC', 'EPB'],
    comment: 'Hydraulic pressures: master cylinder and the four wheel circuits',
    signals: [
      num('IBC_MasterCylPressure', 12, {
        scale: 0.1,
        min: 0,
        max: 250,
        unit: 'bar',
        comment: 'Driver brake demand as master-cylinder pressure: the brake pressure of fault rules',
      }),
      ...WHEELS.map((w) => num(`IBC_WheelPressure${w}`, 12, { scale: 0.1, min: 0, max: 250, unit: 'bar' })),
      flag('IBC_PressureValid', undefined, VALID_INVALID),
    ],
  });
  bus.message({
    name: 'IBC_Status',
    length: 8,
    sender: 'IBC',
    cycleTimeMs: 20,
    byteOrder: motorola,
    comment: 'Brake-by-wire state and regenerative blending',
    signals: [
      num('IBC_PedalTravel', 9, { scale: 0.1, min: 0, max: 50, unit: 'mm' }),
      num('IBC_RegenTorqueReq', 12, { signed: true, min: -2000, max: 2000, unit: 'Nm' }),
      num('IBC_FrictionTorque', 12, { min: 0, max: 4000, unit: 'Nm' }),
      enumeration('IBC_Mode', 3, [
        [0, 'Init'],
        [1, 'BrakeByWire'],
        [2, 'PushThrough'],
        [3, 'Degraded'],
        [4, 'Fault'],
        [7, 'SNA'],
      ]),
      flag('IBC_BoostActive', undefined, INACTIVE_ACTIVE),
      flag('IBC_FluidLevelLow', undefined, NO_YES),
      ...WHEELS.map((w) => flag(`IBC_PadWear${w}`, 'Pad wear contact closed', NO_YES)),
      temp8('IBC_DiscTempEstMax'),
    ],
  });
}

function steering(bus: BusBuilder): void {
  bus.message({
    name: 'EPS_Status',
    length: 8,
    sender: 'EPS',
    cycleTimeMs: 10,
    comment: 'Steering assist and lane-keeping torque overlay',
    signals: [
      crc('EPS_Status'),
      counter('EPS_Status'),
      num('EPS_DriverTorque', 12, { signed: true, scale: 0.01, min: -20, max: 20, unit: 'Nm' }),
      num('EPS_AssistTorque', 12, { signed: true, scale: 0.05, min: -100, max: 100, unit: 'Nm' }),
      num('EPS_MotorCurrent', 10, { signed: true, scale: 0.25, min: -128, max: 127.75, unit: 'A' }),
      enumeration('EPS_State', 3, [
        [0, 'Init'],
        [1, 'Normal'],
        [2, 'Reduced'],
        [3, 'Off'],
        [4, 'Fault'],
      ]),
      flag('EPS_LkaActive', 'Lane-keeping torque overlay applied', INACTIVE_ACTIVE),
      flag('EPS_HandsOn', 'Capacitive steering-wheel sensor', NO_YES),
    ],
  });
  bus.message({
    name: 'SAS_SteeringAngle',
    length: 8,
    sender: 'SAS',
    cycleTimeMs: 10,
    byteOrder: 'big_endian',
    comment: 'Steering wheel angle',
    signals: [
      num('SAS_Angle', 16, { signed: true, scale: 0.1, min: -780, max: 780, unit: 'deg' }),
      num('SAS_Speed', 12, { scale: 1, min: 0, max: 2000, unit: 'deg/s' }),
      flag('SAS_Calibrated', undefined, NO_YES),
      flag('SAS_AngleValid', undefined, VALID_INVALID),
      crc('SAS_SteeringAngle'),
      counter('SAS_SteeringAngle'),
    ],
  });
  bus.message({
    name: 'RWS_Status',
    length: 8,
    sender: 'RWS',
    cycleTimeMs: 10,
    comment: 'Rear-wheel steering',
    signals: [
      num('RWS_Angle', 12, { signed: true, scale: 0.01, min: -10, max: 10, unit: 'deg' }),
      num('RWS_AngleTarget', 12, { signed: true, scale: 0.01, min: -10, max: 10, unit: 'deg' }),
      enumeration('RWS_State', 3, [
        [0, 'Off'],
        [1, 'Centering'],
        [2, 'Active'],
        [3, 'Locked'],
        [4, 'Fault'],
      ]),
      num('RWS_MotorCurrent', 9, { scale: 0.1, min: 0, max: 50, unit: 'A' }),
      temp8('RWS_MotorTemp'),
    ],
  });
}

function inertial(bus: BusBuilder): void {
  const accel = (n: string): ReturnType<typeof num> =>
    num(`IMU_Accel${n}`, 16, { signed: true, scale: 0.001, min: -32, max: 32, unit: 'm/s²' });
  const rate = (n: string): ReturnType<typeof num> =>
    num(`IMU_${n}Rate`, 16, { signed: true, scale: 0.005, min: -160, max: 160, unit: 'deg/s' });
  bus.message({
    name: 'IMU_Accel',
    length: 8,
    sender: 'IMU',
    cycleTimeMs: 10,
    comment: 'Body accelerations',
    signals: [accel('X'), accel('Y'), accel('Z'), flag('IMU_AccelValid', undefined, VALID_INVALID)],
  });
  bus.message({
    name: 'IMU_Rates',
    length: 8,
    sender: 'IMU',
    cycleTimeMs: 10,
    comment: 'Body rotation rates',
    signals: [rate('Roll'), rate('Pitch'), rate('Yaw'), flag('IMU_RateValid', undefined, VALID_INVALID)],
  });
  bus.message({
    name: 'IMU_Attitude',
    length: 8,
    sender: 'IMU',
    cycleTimeMs: 100,
    comment: 'Road gradient and bank angle estimates, sensor temperature',
    signals: [
      num('IMU_Pitch', 12, { signed: true, scale: 0.05, min: -90, max: 90, unit: 'deg' }),
      num('IMU_Roll', 12, { signed: true, scale: 0.05, min: -90, max: 90, unit: 'deg' }),
      num('IMU_RoadGradient', 10, { signed: true, scale: 0.1, min: -50, max: 50, unit: '%' }),
      temp8('IMU_SensorTemp'),
    ],
  });
}

function tyres(bus: BusBuilder): void {
  bus.message({
    name: 'TPMS_Pressures',
    length: 8,
    sender: 'TPMS',
    cycleTimeMs: 1000,
    comment: 'Tyre pressures (gauge) from the wheel sensors',
    signals: [
      ...WHEELS.map((w) =>
        num(`TPMS_Pressure${w}`, 8, { scale: 2.5, min: 0, max: 635, unit: 'kPa', comment: `${WHEEL_NAMES[w]} tyre` }),
      ),
      ...WHEELS.map((w) => temp8(`TPMS_Temp${w}`)),
    ],
  });
  bus.message({
    name: 'TPMS_Status',
    length: 8,
    sender: 'TPMS',
    cycleTimeMs: 1000,
    comment: 'Tyre warnings and placard pressures',
    signals: [
      ...WHEELS.map((w) => enumeration(`TPMS_Status${w}`, 3, TPMS_STATUS)),
      ...WHEELS.map((w) => flag(`TPMS_BatteryLow${w}`, undefined, NO_YES)),
      num('TPMS_PlacardFront', 8, { scale: 2.5, min: 0, max: 635, unit: 'kPa' }),
      num('TPMS_PlacardRear', 8, { scale: 2.5, min: 0, max: 635, unit: 'kPa' }),
      enumeration('TPMS_SystemState', 2, [
        [0, 'Off'],
        [1, 'Monitoring'],
        [2, 'Learning'],
        [3, 'Fault'],
      ]),
    ],
  });
  bus.message({
    name: 'TPMS_SensorInfo',
    length: 8,
    sender: 'TPMS',
    cycleTimeMs: 1000,
    comment: 'Wheel sensor identities, one wheel per frame (switch TPMS_SensorWheel)',
    mux: {
      switch: enumeration('TPMS_SensorWheel', 2, [
        [0, 'FL'],
        [1, 'FR'],
        [2, 'RL'],
        [3, 'RR'],
      ]),
      pages: WHEELS.map((w, i) => ({
        values: i,
        signals: [
          num(`TPMS_SensorId${w}`, 32),
          num(`TPMS_SensorRssi${w}`, 8, { signed: true, min: -128, max: 0, unit: 'dBm' }),
          percent8(`TPMS_SensorBattery${w}`),
        ],
      })),
    },
    signals: [],
  });
}

function parking(bus: BusBuilder): void {
  bus.message({
    name: 'EPB_Status',
    length: 8,
    sender: 'EPB',
    cycleTimeMs: 100,
    comment: 'Electric parking brake',
    signals: [
      enumeration('EPB_State', 3, [
        [0, 'Released'],
        [1, 'Applying'],
        [2, 'Applied'],
        [3, 'Releasing'],
        [4, 'DynamicBraking'],
        [5, 'Fault'],
      ]),
      num('EPB_ClampForceLeft', 8, { scale: 0.1, min: 0, max: 25, unit: 'kN' }),
      num('EPB_ClampForceRight', 8, { scale: 0.1, min: 0, max: 25, unit: 'kN' }),
      num('EPB_MotorCurrentLeft', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      num('EPB_MotorCurrentRight', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      enumeration('EPB_Switch', 2, [
        [0, 'Neutral'],
        [1, 'Pull'],
        [2, 'Push'],
        [3, 'SNA'],
      ]),
      flag('EPB_AutoApply', undefined, INACTIVE_ACTIVE),
      flag('EPB_FltActuatorLeft', undefined, OK_FAULT),
      flag('EPB_FltActuatorRight', undefined, OK_FAULT),
    ],
  });
}

function suspension(bus: BusBuilder): void {
  bus.message({
    name: 'ASU_Heights',
    length: 8,
    sender: 'ASU',
    cycleTimeMs: 20,
    comment: 'Ride height at each corner relative to normal level',
    signals: WHEELS.map((w) =>
      num(`ASU_Height${w}`, 12, { signed: true, scale: 0.1, min: -100, max: 100, unit: 'mm' }),
    ),
  });
  bus.message({
    name: 'ASU_Status',
    length: 8,
    sender: 'ASU',
    cycleTimeMs: 100,
    comment: 'Air supply, level mode and damper currents',
    signals: [
      enumeration('ASU_LevelMode', 3, [
        [0, 'Normal'],
        [1, 'Low'],
        [2, 'High'],
        [3, 'Offroad'],
        [4, 'Loading'],
        [5, 'Jack'],
        [7, 'SNA'],
      ]),
      flag('ASU_CompressorOn', undefined, NO_YES),
      temp8('ASU_CompressorTemp'),
      num('ASU_ReservoirPressure', 8, { scale: 0.1, min: 0, max: 25, unit: 'bar' }),
      ...WHEELS.map((w) => num(`ASU_DamperCurrent${w}`, 8, { scale: 0.01, min: 0, max: 2.5, unit: 'A' })),
      ...WHEELS.map((w) => flag(`ASU_Valve${w}`, undefined, NO_YES)),
      flag('ASU_ValveReservoir', undefined, NO_YES),
      flag('ASU_ValveExhaust', undefined, NO_YES),
    ],
  });
}

export function auroraChassis(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'chassis',
      index: 1,
      dbcFile: 'aurora_chassis.dbc',
      bitrate: 500_000,
      comment: 'Brakes, stability, steering, suspension and tyres',
    },
    'aurora_chassis',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, 0x30 + i));
  stability(bus);
  steering(bus);
  inertial(bus);
  tyres(bus);
  parking(bus);
  suspension(bus);
  return bus.build();
}
