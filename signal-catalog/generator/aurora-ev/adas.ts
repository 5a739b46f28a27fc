/**
 * Aurora driver-assistance bus (CAN FD 500 kbit/s / 5 Mbit/s). The radar supplier's object lists are Motorola, as
 * radar matrices usually are; the front radar and lidar pack four objects per 64-byte frame, the corner radars send
 * one object per frame multiplexed by object index.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import type { SignalSpec } from '../layout.js';
import { counter, crc, enumeration, flag, num, pad2, percent8, temp8 } from '../signals.js';
import { ACC_STATE, INACTIVE_ACTIVE, NO_YES, OBJECT_CLASS, OBJECT_MOTION, OK_FAULT, VALID_INVALID } from '../tables.js';

const CORNERS = ['CRFL', 'CRFR', 'CRRL', 'CRRR'] as const;

const ECUS: readonly Ecu[] = [
  { name: 'ADCU', comment: 'Driver-assistance domain controller: ACC, lane keeping, AEB, parking' },
  { name: 'FRR', comment: 'Front long-range radar, 77 GHz' },
  ...CORNERS.map((c) => ({ name: c, comment: `Corner radar ${c.slice(2)}` })),
  { name: 'FCAM', comment: 'Front camera behind the windscreen' },
  { name: 'LIDAR', comment: 'Roof-line lidar' },
  { name: 'USS', comment: 'Ultrasonic park-distance controller, 12 sensors' },
  { name: 'DMS', comment: 'Driver monitoring camera' },
  { name: 'SVC', comment: 'Surround-view camera controller' },
];

const STATUS_TABLE = [
  [0, 'Init'],
  [1, 'Ok'],
  [2, 'Degraded'],
  [3, 'Blocked'],
  [4, 'Misaligned'],
  [5, 'Fault'],
] as const;

/** One tracked object as a radar reports it; `detail` adds the long-range radar's extra attributes. */
function radarObject(prefix: string, detail: boolean): SignalSpec[] {
  const o = prefix;
  const base: SignalSpec[] = [
    num(`${o}_Id`, 8),
    num(`${o}_DistLong`, 13, { scale: 0.05, min: 0, max: 409.55, unit: 'm' }),
    num(`${o}_DistLat`, 11, { signed: true, scale: 0.05, min: -51.2, max: 51.15, unit: 'm' }),
    num(`${o}_VrelLong`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm/s' }),
    num(`${o}_VrelLat`, 10, { signed: true, scale: 0.05, min: -25.6, max: 25.55, unit: 'm/s' }),
    enumeration(`${o}_Class`, 3, OBJECT_CLASS),
    enumeration(`${o}_Motion`, 3, OBJECT_MOTION),
    num(`${o}_ProbExist`, 7, { min: 0, max: 100, unit: '%' }),
    num(`${o}_Rcs`, 8, { signed: true, scale: 0.5, min: -64, max: 63.5, unit: 'dBsm' }),
    num(`${o}_Length`, 7, { scale: 0.2, min: 0, max: 25.4, unit: 'm' }),
  ];
  if (!detail) return base;
  return [
    ...base,
    num(`${o}_ArelLong`, 9, { signed: true, scale: 0.05, min: -12.8, max: 12.75, unit: 'm/s²' }),
    num(`${o}_Width`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
    num(`${o}_Orientation`, 10, { signed: true, scale: 0.4, min: -180, max: 180, unit: 'deg' }),
  ];
}

function frontRadar(bus: BusBuilder): void {
  bus.message({
    name: 'FRR_Status',
    length: 8,
    sender: 'FRR',
    cycleTimeMs: 50,
    byteOrder: 'big_endian',
    comment: 'Front radar sensor state',
    signals: [
      enumeration('FRR_State', 3, STATUS_TABLE),
      num('FRR_ObjectCount', 6, { max: 32 }),
      num('FRR_MisalignAzimuth', 10, { signed: true, scale: 0.01, min: -5, max: 5, unit: 'deg' }),
      num('FRR_MisalignElevation', 10, { signed: true, scale: 0.01, min: -5, max: 5, unit: 'deg' }),
      percent8('FRR_Blockage'),
      temp8('FRR_Temp'),
      num('FRR_CycleCounter', 16),
    ],
  });
  for (let frame = 0; frame < 8; frame += 1) {
    const objects = [1, 2, 3, 4].map((k) => frame * 4 + k);
    bus.message({
      name: `FRR_Objects_${pad2(frame + 1)}`,
      length: 64,
      fd: true,
      sender: 'FRR',
      cycleTimeMs: 50,
      byteOrder: 'big_endian',
      receivers: ['ADCU'],
      comment: `Front radar tracked objects ${objects[0]}-${objects[3]}`,
      signals: [
        counter(`FRR_Obj${pad2(frame + 1)}`),
        ...objects.flatMap((n) => radarObject(`FRR_Obj${pad2(n)}`, true)),
      ],
    });
  }
}

function cornerRadars(bus: BusBuilder): void {
  for (const c of CORNERS) {
    bus.message({
      name: `${c}_Status`,
      length: 8,
      sender: c,
      cycleTimeMs: 50,
      byteOrder: 'big_endian',
      comment: `Corner radar ${c.slice(2)} state and blind-spot zones`,
      signals: [
        enumeration(`${c}_State`, 3, STATUS_TABLE),
        num(`${c}_ObjectCount`, 5, { max: 16 }),
        flag(`${c}_BlindSpotOccupied`, undefined, NO_YES),
        flag(`${c}_CrossTrafficAlert`, undefined, NO_YES),
        flag(`${c}_DoorOpenWarning`, undefined, NO_YES),
        percent8(`${c}_Blockage`),
        temp8(`${c}_Temp`),
        num(`${c}_MisalignAzimuth`, 10, { signed: true, scale: 0.01, min: -5, max: 5, unit: 'deg' }),
      ],
    });
    bus.message({
      name: `${c}_Object`,
      length: 16,
      fd: true,
      sender: c,
      cycleTimeMs: 10,
      byteOrder: 'big_endian',
      receivers: ['ADCU'],
      comment: `Corner radar ${c.slice(2)} objects, one per frame (switch = object slot 0..15)`,
      mux: {
        switch: num(`${c}_ObjSlot`, 8, { max: 15 }),
        pages: Array.from({ length: 16 }, (_, i) => ({
          values: i,
          signals: radarObject(`${c}_Obj${pad2(i + 1)}`, false).slice(1),
        })),
      },
      signals: [],
    });
  }
}

const LANE_LINES = ['LeftLeft', 'Left', 'Right', 'RightRight'] as const;

function camera(bus: BusBuilder): void {
  bus.message({
    name: 'FCAM_Lanes',
    length: 48,
    fd: true,
    sender: 'FCAM',
    cycleTimeMs: 50,
    receivers: ['ADCU'],
    comment: 'Lane markings as cubic polynomials y = C0 + C1·x + C2·x² + C3·x³',
    signals: LANE_LINES.flatMap((l): SignalSpec[] => [
      num(`FCAM_${l}_C0`, 12, { signed: true, scale: 0.01, min: -20.48, max: 20.47, unit: 'm' }),
      num(`FCAM_${l}_C1`, 12, { signed: true, scale: 0.0005, min: -1.024, max: 1.0235, unit: 'rad' }),
      num(`FCAM_${l}_C2`, 16, { signed: true, scale: 0.000001, min: -0.032768, max: 0.032767, unit: '1/m' }),
      num(`FCAM_${l}_C3`, 16, { signed: true, scale: 0.00000001, min: -0.00032768, max: 0.00032767, unit: '1/m2' }),
      num(`FCAM_${l}_Range`, 8, { min: 0, max: 255, unit: 'm' }),
      num(`FCAM_${l}_Quality`, 2, { max: 3 }),
      enumeration(`FCAM_${l}_Type`, 3, [
        [0, 'None'],
        [1, 'Solid'],
        [2, 'Dashed'],
        [3, 'DoubleSolid'],
        [4, 'RoadEdge'],
        [5, 'Barrier'],
        [6, 'Botts'],
      ]),
      enumeration(`FCAM_${l}_Color`, 2, [
        [0, 'White'],
        [1, 'Yellow'],
        [2, 'Blue'],
        [3, 'Unknown'],
      ]),
    ]),
  });
  for (let frame = 0; frame < 4; frame += 1) {
    const objects = [1, 2, 3, 4].map((k) => frame * 4 + k);
    bus.message({
      name: `FCAM_Objects_${pad2(frame + 1)}`,
      length: 64,
      fd: true,
      sender: 'FCAM',
      cycleTimeMs: 50,
      receivers: ['ADCU'],
      comment: `Camera objects ${objects[0]}-${objects[3]}`,
      signals: objects.flatMap((n): SignalSpec[] => {
        const o = `FCAM_Obj${pad2(n)}`;
        return [
          num(`${o}_Id`, 8),
          enumeration(`${o}_Class`, 3, OBJECT_CLASS),
          num(`${o}_DistLong`, 12, { scale: 0.05, min: 0, max: 204.75, unit: 'm' }),
          num(`${o}_DistLat`, 11, { signed: true, scale: 0.05, min: -51.2, max: 51.15, unit: 'm' }),
          num(`${o}_VrelLong`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm/s' }),
          num(`${o}_Width`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
          num(`${o}_Height`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
          num(`${o}_Heading`, 10, { signed: true, scale: 0.4, min: -180, max: 180, unit: 'deg' }),
          num(`${o}_Confidence`, 7, { min: 0, max: 100, unit: '%' }),
          flag(`${o}_BrakeLight`, undefined, NO_YES),
          enumeration(`${o}_Turn`, 2, [
            [0, 'None'],
            [1, 'Left'],
            [2, 'Right'],
            [3, 'Hazard'],
          ]),
        ];
      }),
    });
  }
  bus.message({
    name: 'FCAM_Signs',
    length: 16,
    fd: true,
    sender: 'FCAM',
    cycleTimeMs: 200,
    comment: 'Traffic signs in view',
    signals: [1, 2, 3, 4].flatMap((n): SignalSpec[] => [
      enumeration(`FCAM_Sign${n}_Type`, 5, [
        [0, 'None'],
        [1, 'SpeedLimit'],
        [2, 'EndSpeedLimit'],
        [3, 'NoOvertaking'],
        [4, 'Stop'],
        [5, 'Yield'],
        [6, 'NoEntry'],
        [7, 'Construction'],
        [8, 'School'],
      ]),
      num(`FCAM_Sign${n}_Value`, 8, { min: 0, max: 250, unit: 'km/h' }),
      num(`FCAM_Sign${n}_Confidence`, 7, { min: 0, max: 100, unit: '%' }),
      num(`FCAM_Sign${n}_Distance`, 8, { min: 0, max: 255, unit: 'm' }),
    ]),
  });
  bus.message({
    name: 'FCAM_Status',
    length: 8,
    sender: 'FCAM',
    cycleTimeMs: 100,
    comment: 'Camera state and light detection for matrix headlamps',
    signals: [
      enumeration('FCAM_State', 3, STATUS_TABLE),
      percent8('FCAM_Blockage'),
      temp8('FCAM_ImagerTemp'),
      flag('FCAM_HeaterOn', undefined, NO_YES),
      flag('FCAM_OncomingLights', undefined, NO_YES),
      flag('FCAM_PrecedingLights', undefined, NO_YES),
      flag('FCAM_StreetLights', undefined, NO_YES),
      num('FCAM_SpeedLimit', 8, { min: 0, max: 250, unit: 'km/h' }),
      enumeration('FCAM_Weather', 2, [
        [0, 'Clear'],
        [1, 'Rain'],
        [2, 'Fog'],
        [3, 'Snow'],
      ]),
    ],
  });
}

function lidar(bus: BusBuilder): void {
  bus.message({
    name: 'LIDAR_Status',
    length: 8,
    sender: 'LIDAR',
    cycleTimeMs: 100,
    comment: 'Lidar sensor state',
    signals: [
      enumeration('LIDAR_State', 3, STATUS_TABLE),
      num('LIDAR_ObjectCount', 6, { max: 32 }),
      percent8('LIDAR_WindowDirt'),
      temp8('LIDAR_LaserTemp'),
      flag('LIDAR_CleaningActive', undefined, INACTIVE_ACTIVE),
      num('LIDAR_PointRate', 12, { scale: 1000, min: 0, max: 4095000, unit: 'pts/s' }),
    ],
  });
  for (let frame = 0; frame < 6; frame += 1) {
    const objects = [1, 2, 3, 4].map((k) => frame * 4 + k);
    bus.message({
      name: `LIDAR_Objects_${pad2(frame + 1)}`,
      length: 64,
      fd: true,
      sender: 'LIDAR',
      cycleTimeMs: 100,
      receivers: ['ADCU'],
      comment: `Lidar objects ${objects[0]}-${objects[3]} (boxes in vehicle coordinates)`,
      signals: objects.flatMap((n): SignalSpec[] => {
        const o = `LIDAR_Obj${pad2(n)}`;
        return [
          num(`${o}_Id`, 8),
          enumeration(`${o}_Class`, 3, OBJECT_CLASS),
          num(`${o}_PosX`, 14, { signed: true, scale: 0.05, min: -409.6, max: 409.55, unit: 'm' }),
          num(`${o}_PosY`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm' }),
          num(`${o}_PosZ`, 9, { signed: true, scale: 0.05, min: -12.8, max: 12.75, unit: 'm' }),
          num(`${o}_VelX`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm/s' }),
          num(`${o}_VelY`, 10, { signed: true, scale: 0.05, min: -25.6, max: 25.55, unit: 'm/s' }),
          num(`${o}_Length`, 8, { scale: 0.1, min: 0, max: 25.5, unit: 'm' }),
          num(`${o}_Width`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
          num(`${o}_Height`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
          num(`${o}_Yaw`, 10, { signed: true, scale: 0.4, min: -180, max: 180, unit: 'deg' }),
          num(`${o}_Confidence`, 7, { min: 0, max: 100, unit: '%' }),
        ];
      }),
    });
  }
}

function parkingAndCabin(bus: BusBuilder): void {
  const sensors = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6'];
  bus.message({
    name: 'USS_Distances',
    length: 24,
    fd: true,
    sender: 'USS',
    cycleTimeMs: 50,
    receivers: ['ADCU'],
    comment: 'Ultrasonic echo distances (511 = no echo)',
    signals: [
      ...sensors.map((s) => num(`USS_Dist${s}`, 9, { min: 0, max: 511, unit: 'cm' })),
      ...sensors.map((s) => flag(`USS_Flt${s}`, undefined, OK_FAULT)),
    ],
  });
  bus.message({
    name: 'USS_Status',
    length: 8,
    sender: 'USS',
    cycleTimeMs: 100,
    comment: 'Park-distance control state',
    signals: [
      enumeration('USS_State', 2, [
        [0, 'Off'],
        [1, 'Active'],
        [2, 'Degraded'],
        [3, 'Fault'],
      ]),
      num('USS_ZoneFront', 3, { max: 7 }),
      num('USS_ZoneRear', 3, { max: 7 }),
      flag('USS_ChimeActive', undefined, INACTIVE_ACTIVE),
      flag('USS_TrailerDetected', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'DMS_Driver',
    length: 16,
    fd: true,
    sender: 'DMS',
    cycleTimeMs: 100,
    receivers: ['ADCU'],
    comment: 'Driver attention as seen by the cabin camera',
    signals: [
      flag('DMS_DriverPresent', undefined, NO_YES),
      percent8('DMS_EyeClosure'),
      enumeration('DMS_GazeZone', 4, [
        [0, 'Road'],
        [1, 'Cluster'],
        [2, 'CenterDisplay'],
        [3, 'MirrorLeft'],
        [4, 'MirrorRight'],
        [5, 'Lap'],
        [6, 'Passenger'],
        [15, 'Unknown'],
      ]),
      num('DMS_HeadYaw', 10, { signed: true, scale: 0.2, min: -90, max: 90, unit: 'deg' }),
      num('DMS_HeadPitch', 10, { signed: true, scale: 0.2, min: -90, max: 90, unit: 'deg' }),
      num('DMS_HeadRoll', 10, { signed: true, scale: 0.2, min: -90, max: 90, unit: 'deg' }),
      enumeration('DMS_Drowsiness', 3, [
        [0, 'Alert'],
        [1, 'Slight'],
        [2, 'Moderate'],
        [3, 'Severe'],
        [7, 'Unknown'],
      ]),
      enumeration('DMS_Distraction', 2, [
        [0, 'None'],
        [1, 'Short'],
        [2, 'Long'],
        [3, 'Unknown'],
      ]),
      flag('DMS_PhoneUse', undefined, NO_YES),
      flag('DMS_Occluded', "Camera cannot see the driver's eyes", NO_YES),
    ],
  });
  bus.message({
    name: 'SVC_Status',
    length: 8,
    sender: 'SVC',
    cycleTimeMs: 200,
    comment: 'Surround view',
    signals: [
      enumeration('SVC_View', 3, [
        [0, 'Off'],
        [1, 'Top'],
        [2, 'Front'],
        [3, 'Rear'],
        [4, 'Side'],
        [5, 'Transparent'],
      ]),
      ...['Front', 'Rear', 'Left', 'Right'].map((c) => flag(`SVC_FltCamera${c}`, undefined, OK_FAULT)),
      flag('SVC_CalibrationValid', undefined, VALID_INVALID),
    ],
  });
}

function controller(bus: BusBuilder): void {
  bus.message({
    name: 'ADCU_Acc',
    length: 16,
    fd: true,
    sender: 'ADCU',
    cycleTimeMs: 20,
    comment: 'Adaptive cruise control',
    signals: [
      crc('ADCU_Acc'),
      counter('ADCU_Acc'),
      enumeration('ADCU_AccState', 3, ACC_STATE),
      num('ADCU_AccSetSpeed', 8, { min: 0, max: 210, unit: 'km/h' }),
      num('ADCU_AccTimeGap', 3, { min: 1, max: 5 }),
      flag('ADCU_AccLeadDetected', undefined, NO_YES),
      num('ADCU_AccLeadDistance', 10, { scale: 0.25, min: 0, max: 255, unit: 'm' }),
      num('ADCU_AccLeadSpeed', 9, { min: 0, max: 300, unit: 'km/h' }),
      num('ADCU_AccelRequest', 12, { signed: true, scale: 0.005, min: -10, max: 10, unit: 'm/s²' }),
      flag('ADCU_AccStopGo', undefined, INACTIVE_ACTIVE),
    ],
  });
  bus.message({
    name: 'ADCU_Lane',
    length: 8,
    sender: 'ADCU',
    cycleTimeMs: 20,
    comment: 'Lane keeping and lane departure',
    signals: [
      enumeration('ADCU_LkaState', 3, [
        [0, 'Off'],
        [1, 'Standby'],
        [2, 'Active'],
        [3, 'Override'],
        [4, 'Fault'],
      ]),
      num('ADCU_LkaTorqueReq', 12, { signed: true, scale: 0.01, min: -5, max: 5, unit: 'Nm' }),
      flag('ADCU_LdwLeft', undefined, NO_YES),
      flag('ADCU_LdwRight', undefined, NO_YES),
      enumeration('ADCU_HandsOffWarning', 2, [
        [0, 'None'],
        [1, 'Visual'],
        [2, 'Acoustic'],
        [3, 'Takeover'],
      ]),
      flag('ADCU_LaneChangeAssist', undefined, INACTIVE_ACTIVE),
      num('ADCU_LaneOffset', 10, { signed: true, scale: 0.01, min: -2.5, max: 2.5, unit: 'm' }),
    ],
  });
  bus.message({
    name: 'ADCU_Aeb',
    length: 8,
    sender: 'ADCU',
    cycleTimeMs: 20,
    comment: 'Automatic emergency braking',
    signals: [
      crc('ADCU_Aeb'),
      counter('ADCU_Aeb'),
      enumeration('ADCU_AebState', 3, [
        [0, 'Off'],
        [1, 'Ready'],
        [2, 'Prefill'],
        [3, 'PartialBrake'],
        [4, 'FullBrake'],
        [5, 'Hold'],
        [6, 'Fault'],
      ]),
      flag('ADCU_FcwWarning', undefined, NO_YES),
      num('ADCU_AebDecelReq', 10, { scale: 0.02, min: 0, max: 12, unit: 'm/s²' }),
      num('ADCU_Ttc', 8, { scale: 0.05, min: 0, max: 12.75, unit: 's' }),
      enumeration('ADCU_AebTarget', 3, OBJECT_CLASS),
    ],
  });
  bus.message({
    name: 'ADCU_Hmi',
    length: 8,
    sender: 'ADCU',
    cycleTimeMs: 100,
    comment: 'Assistance indications for cluster and head-up display',
    signals: [
      flag('ADCU_BsmLeft', undefined, NO_YES),
      flag('ADCU_BsmRight', undefined, NO_YES),
      flag('ADCU_RctaLeft', undefined, NO_YES),
      flag('ADCU_RctaRight', undefined, NO_YES),
      num('ADCU_SpeedLimitFused', 8, { min: 0, max: 250, unit: 'km/h' }),
      enumeration('ADCU_IslaState', 2, [
        [0, 'Off'],
        [1, 'Info'],
        [2, 'Warn'],
        [3, 'Adapt'],
      ]),
      enumeration('ADCU_AssistLevel', 3, [
        [0, 'Off'],
        [1, 'L1'],
        [2, 'L2'],
        [3, 'L2Plus'],
        [4, 'HandsOff'],
      ]),
      flag('ADCU_TakeoverRequest', undefined, NO_YES),
    ],
  });
  bus.message({
    name: 'ADCU_Trajectory',
    length: 64,
    fd: true,
    sender: 'ADCU',
    cycleTimeMs: 50,
    comment: 'Planned path: ten points 0.5 s apart in vehicle coordinates',
    signals: Array.from({ length: 10 }, (_, i) => i + 1).flatMap((p): SignalSpec[] => [
      num(`ADCU_TrajX${pad2(p)}`, 14, { signed: true, scale: 0.02, min: -163.84, max: 163.82, unit: 'm' }),
      num(`ADCU_TrajY${pad2(p)}`, 12, { signed: true, scale: 0.02, min: -40.96, max: 40.94, unit: 'm' }),
      num(`ADCU_TrajV${pad2(p)}`, 10, { scale: 0.1, min: 0, max: 102.3, unit: 'm/s' }),
      num(`ADCU_TrajK${pad2(p)}`, 12, { signed: true, scale: 0.0001, min: -0.2048, max: 0.2047, unit: '1/m' }),
    ]),
  });
  bus.message({
    name: 'ADCU_Faults',
    length: 8,
    sender: 'ADCU',
    cycleTimeMs: 100,
    comment: 'Assistance functions unavailable and why',
    signals: ['Acc', 'Lka', 'Aeb', 'Bsm', 'Park', 'Isla', 'Dms', 'Fusion', 'Radar', 'Camera', 'Lidar', 'Map'].map((f) =>
      flag(`ADCU_Flt${f}`, undefined, OK_FAULT),
    ),
  });
}

function fusion(bus: BusBuilder): void {
  bus.message({
    name: 'ADCU_FusedObject',
    length: 24,
    fd: true,
    sender: 'ADCU',
    cycleTimeMs: 10,
    comment: 'Fused object list (radar, camera, lidar), one object per frame (switch = object slot 0..15)',
    mux: {
      switch: num('ADCU_FusedSlot', 8, { max: 15 }),
      pages: Array.from({ length: 16 }, (_, i) => {
        const o = `ADCU_Fus${pad2(i + 1)}`;
        return {
          values: i,
          signals: [
            num(`${o}_Id`, 16),
            enumeration(`${o}_Class`, 3, OBJECT_CLASS),
            num(`${o}_PosX`, 14, { signed: true, scale: 0.05, min: -409.6, max: 409.55, unit: 'm' }),
            num(`${o}_PosY`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm' }),
            num(`${o}_VelX`, 12, { signed: true, scale: 0.05, min: -102.4, max: 102.35, unit: 'm/s' }),
            num(`${o}_VelY`, 10, { signed: true, scale: 0.05, min: -25.6, max: 25.55, unit: 'm/s' }),
            num(`${o}_AccX`, 9, { signed: true, scale: 0.05, min: -12.8, max: 12.75, unit: 'm/s²' }),
            num(`${o}_Length`, 8, { scale: 0.1, min: 0, max: 25.5, unit: 'm' }),
            num(`${o}_Width`, 6, { scale: 0.1, min: 0, max: 6.3, unit: 'm' }),
            num(`${o}_Yaw`, 10, { signed: true, scale: 0.4, min: -180, max: 180, unit: 'deg' }),
            num(`${o}_ExistProb`, 7, { min: 0, max: 100, unit: '%' }),
            enumeration(`${o}_Sources`, 3, [
              [0, 'None'],
              [1, 'Radar'],
              [2, 'Camera'],
              [3, 'RadarCamera'],
              [4, 'Lidar'],
              [5, 'RadarLidar'],
              [6, 'CameraLidar'],
              [7, 'All'],
            ]),
          ],
        };
      }),
    },
    signals: [],
  });
  bus.message({
    name: 'ADCU_ParkSlots',
    length: 32,
    fd: true,
    sender: 'ADCU',
    cycleTimeMs: 100,
    comment: 'Parking spaces found by automated parking, vehicle coordinates',
    signals: [1, 2, 3, 4].flatMap((n): SignalSpec[] => [
      num(`ADCU_Slot${n}_X`, 12, { signed: true, scale: 0.02, min: -40.96, max: 40.94, unit: 'm' }),
      num(`ADCU_Slot${n}_Y`, 12, { signed: true, scale: 0.02, min: -40.96, max: 40.94, unit: 'm' }),
      num(`ADCU_Slot${n}_Heading`, 9, { signed: true, min: -180, max: 180, unit: 'deg' }),
      num(`ADCU_Slot${n}_Length`, 8, { scale: 0.05, min: 0, max: 12.75, unit: 'm' }),
      num(`ADCU_Slot${n}_Width`, 7, { scale: 0.05, min: 0, max: 6.35, unit: 'm' }),
      enumeration(`ADCU_Slot${n}_Type`, 2, [
        [0, 'Parallel'],
        [1, 'Perpendicular'],
        [2, 'Angled'],
        [3, 'Unknown'],
      ]),
      flag(`ADCU_Slot${n}_Valid`, undefined, VALID_INVALID),
      flag(`ADCU_Slot${n}_Selected`, undefined, NO_YES),
    ]),
  });
}

export function auroraAdas(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'adas',
      index: 4,
      dbcFile: 'aurora_adas.dbc',
      bitrate: 500_000,
      dataBitrate: 5_000_000,
      comment: 'Driver assistance: radars, camera, lidar, ultrasonics, driver monitoring',
    },
    'aurora_adas',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, 0x20 + i));
  frontRadar(bus);
  cornerRadars(bus);
  camera(bus);
  lidar(bus);
  parkingAndCabin(bus);
  controller(bus);
  fusion(bus);
  return bus.build();
}
