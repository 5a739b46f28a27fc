/**
 * Aurora body and comfort bus (classic CAN 500 kbit/s, Intel): doors, seats, lighting with matrix headlamps,
 * climate, cluster telltales, infotainment, telematics and the central gateway.
 */
import { BusBuilder, type BusDefinition } from '../bus.js';
import { addEcu, type Ecu } from '../ecu.js';
import { gnssPosition } from '../telematics.js';
import type { MuxPageSpec, SignalSpec } from '../layout.js';
import { counter, crc, enumeration, flag, lowVoltage, num, pad2, percent8, temp8 } from '../signals.js';
import {
  DOOR_STATE,
  HEAT_LEVEL,
  INACTIVE_ACTIVE,
  LAMP_STATE,
  LOCK_STATE,
  NO_YES,
  OFF_ON,
  OK_FAULT,
  POWER_MODE,
} from '../tables.js';

const DOORS = ['FL', 'FR', 'RL', 'RR'] as const;

const ECUS: readonly Ecu[] = [
  { name: 'BCM', comment: 'Body control module: exterior lighting, locking, wipers, power modes' },
  { name: 'GWM', comment: 'Central gateway: routes between domains, hosts bus diagnostics' },
  { name: 'IBS', comment: 'Intelligent battery sensor on the 12 V battery negative terminal' },
  ...DOORS.map((d) => ({ name: `DCU${d}`, comment: `Door control unit ${d}` })),
  { name: 'SCUFL', comment: 'Driver seat control unit' },
  { name: 'SCUFR', comment: 'Front passenger seat control unit' },
  { name: 'SCUR', comment: 'Rear seat bench control unit' },
  { name: 'HLL', comment: 'Left matrix LED headlamp' },
  { name: 'HLR', comment: 'Right matrix LED headlamp' },
  { name: 'RLS', comment: 'Rain, light, solar and humidity sensor' },
  { name: 'HVAC', comment: 'Four-zone climate control' },
  { name: 'IC', comment: 'Instrument cluster' },
  { name: 'IVI', comment: 'Infotainment head unit' },
  { name: 'TCU', comment: 'Telematics control unit with GNSS and LTE/5G modem' },
  { name: 'PEPS', comment: 'Passive entry and start, immobiliser' },
  { name: 'WPC', comment: 'Wireless phone charger' },
  { name: 'PTG', comment: 'Power tailgate' },
  { name: 'SRF', comment: 'Panoramic sunroof and shade' },
  { name: 'ALC', comment: 'Ambient lighting controller, 24 RGB zones' },
  { name: 'AMP', comment: 'Audio amplifier, 21 channels' },
  { name: 'HUD', comment: 'Augmented-reality head-up display' },
  { name: 'SRS', comment: 'Airbag control unit' },
  { name: 'MFSW', comment: 'Multi-function steering wheel' },
  { name: 'RCM', comment: 'Roof console: emergency call button, reading lamps, interior camera' },
  { name: 'TLL', comment: 'Left OLED tail lamp, 36 segments' },
  { name: 'TLR', comment: 'Right OLED tail lamp, 36 segments' },
];

function lighting(bus: BusBuilder): void {
  const lamps = [
    'LowBeam',
    'HighBeam',
    'Drl',
    'Position',
    'FogFront',
    'FogRear',
    'TurnLeft',
    'TurnRight',
    'Hazard',
    'BrakeLamp',
    'ReverseLamp',
    'LicensePlate',
    'CorneringLeft',
    'CorneringRight',
    'WelcomeLight',
    'Dome',
  ];
  bus.message({
    name: 'BCM_LightStatus',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 100,
    comment: 'Exterior and interior lamp outputs',
    signals: lamps.map((l) => enumeration(`BCM_${l}`, 2, LAMP_STATE)),
  });
  bus.message({
    name: 'BCM_LampFaults',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 500,
    comment: 'Bulb-out and short-circuit detection per lamp output',
    signals: lamps.map((l) => flag(`BCM_Flt${l}`, undefined, OK_FAULT)),
  });
  for (const side of ['HLL', 'HLR'] as const) {
    bus.message({
      name: `${side}_Status`,
      length: 8,
      sender: side,
      cycleTimeMs: 100,
      comment: `${side === 'HLL' ? 'Left' : 'Right'} headlamp state`,
      signals: [
        enumeration(`${side}_LightMode`, 3, [
          [0, 'Off'],
          [1, 'City'],
          [2, 'Country'],
          [3, 'Motorway'],
          [4, 'Adverse'],
          [5, 'MatrixHigh'],
        ]),
        num(`${side}_LevelingPos`, 8, { signed: true, scale: 0.05, min: -5, max: 5, unit: 'deg' }),
        num(`${side}_SwivelAngle`, 8, { signed: true, scale: 0.1, min: -12, max: 12, unit: 'deg' }),
        temp8(`${side}_LedTemp`),
        num(`${side}_SegmentsOn`, 7, { max: 84 }),
        flag(`${side}_FltLedDriver`, undefined, OK_FAULT),
        flag(`${side}_FltLevelingMotor`, undefined, OK_FAULT),
        flag(`${side}_FltFan`, undefined, OK_FAULT),
      ],
    });
    // 84 matrix segments, 6 per frame: the page number is the segment group.
    const pages: MuxPageSpec[] = Array.from({ length: 14 }, (_, g) => ({
      values: g,
      signals: Array.from({ length: 6 }, (_, k) => percent8(`${side}_Seg${pad2(g * 6 + k + 1)}_Dim`)),
    }));
    bus.message({
      name: `${side}_Segments`,
      length: 8,
      sender: side,
      cycleTimeMs: 50,
      comment: 'Matrix segment dimming, six segments per frame (switch = segment group)',
      mux: { switch: num(`${side}_SegGroup`, 8, { max: 13 }), pages },
      signals: [],
    });
  }
  for (const side of ['TLL', 'TLR'] as const) {
    bus.message({
      name: `${side}_Status`,
      length: 8,
      sender: side,
      cycleTimeMs: 100,
      comment: `${side === 'TLL' ? 'Left' : 'Right'} tail lamp state`,
      signals: [
        enumeration(`${side}_Animation`, 3, [
          [0, 'Off'],
          [1, 'Static'],
          [2, 'Welcome'],
          [3, 'Goodbye'],
          [4, 'Hazard'],
          [5, 'ProximityWarn'],
        ]),
        enumeration(`${side}_Tail`, 2, LAMP_STATE),
        enumeration(`${side}_Stop`, 2, LAMP_STATE),
        enumeration(`${side}_Turn`, 2, LAMP_STATE),
        temp8(`${side}_OledTemp`),
        num(`${side}_SegmentsFailed`, 6, { max: 36 }),
        flag(`${side}_FltDriver`, undefined, OK_FAULT),
      ],
    });
    bus.message({
      name: `${side}_Segments`,
      length: 8,
      sender: side,
      cycleTimeMs: 50,
      comment: 'OLED segment brightness, six segments per frame (switch = segment group)',
      mux: {
        switch: num(`${side}_SegGroup`, 8, { max: 5 }),
        pages: Array.from({ length: 6 }, (_, g) => ({
          values: g,
          signals: Array.from({ length: 6 }, (_, k) => percent8(`${side}_Seg${pad2(g * 6 + k + 1)}_Level`)),
        })),
      },
      signals: [],
    });
  }
  // 24 zones × RGB + brightness, one zone per frame.
  bus.message({
    name: 'ALC_Zones',
    length: 8,
    sender: 'ALC',
    cycleTimeMs: 20,
    comment: 'Ambient lighting colour per zone (switch = zone)',
    mux: {
      switch: num('ALC_Zone', 8, { max: 23 }),
      pages: Array.from({ length: 24 }, (_, z) => ({
        values: z,
        signals: ['Red', 'Green', 'Blue']
          .map((c) => num(`ALC_Z${pad2(z + 1)}_${c}`, 8))
          .concat([percent8(`ALC_Z${pad2(z + 1)}_Bright`)]),
      })),
    },
    signals: [],
  });
  bus.message({
    name: 'ALC_Status',
    length: 8,
    sender: 'ALC',
    cycleTimeMs: 500,
    comment: 'Ambient lighting scene',
    signals: [
      enumeration('ALC_Scene', 4, [
        [0, 'Off'],
        [1, 'Static'],
        [2, 'Breathing'],
        [3, 'Music'],
        [4, 'Welcome'],
        [5, 'Warning'],
      ]),
      percent8('ALC_MasterBright'),
      flag('ALC_DriveModeSync', undefined, OFF_ON),
    ],
  });
}

function doors(bus: BusBuilder): void {
  bus.message({
    name: 'BCM_Closures',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 100,
    comment: 'Doors, lids and locks as the BCM arbitrates them',
    signals: [
      ...DOORS.map((d) => enumeration(`BCM_Door${d}`, 2, DOOR_STATE)),
      enumeration('BCM_Tailgate', 2, DOOR_STATE),
      enumeration('BCM_Frunk', 2, DOOR_STATE),
      enumeration('BCM_ChargeFlap', 2, DOOR_STATE),
      enumeration('BCM_CentralLock', 2, LOCK_STATE),
      flag('BCM_AlarmArmed', undefined, NO_YES),
      flag('BCM_AlarmTriggered', undefined, NO_YES),
      flag('BCM_ChildLockRear', undefined, OFF_ON),
    ],
  });
  for (const d of DOORS) {
    const p = `DCU${d}`;
    const front = d.startsWith('F');
    bus.message({
      name: `${p}_Status`,
      length: 8,
      sender: p,
      cycleTimeMs: 100,
      comment: `Door ${d}: window, lock, handle${front ? ' and mirror' : ''}`,
      signals: [
        percent8(`${p}_WindowPos`, '0 % closed, 100 % fully open'),
        enumeration(`${p}_WindowMove`, 2, [
          [0, 'Stopped'],
          [1, 'Up'],
          [2, 'Down'],
          [3, 'SNA'],
        ]),
        flag(`${p}_WindowPinch`, 'Anti-pinch reversal triggered', NO_YES),
        enumeration(`${p}_Latch`, 2, DOOR_STATE),
        enumeration(`${p}_Lock`, 2, LOCK_STATE),
        flag(`${p}_HandleDeployed`, 'Flush handle extended', NO_YES),
        flag(`${p}_HandlePulled`, undefined, NO_YES),
        flag(`${p}_SoftClose`, undefined, INACTIVE_ACTIVE),
        flag(`${p}_PuddleLamp`, undefined, OFF_ON),
        num(`${p}_WindowMotorCurr`, 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
        ...(front
          ? [
              enumeration(`${p}_MirrorFold`, 2, [
                [0, 'Unfolded'],
                [1, 'Folded'],
                [2, 'Moving'],
                [3, 'SNA'],
              ]),
              num(`${p}_MirrorPosX`, 8, { signed: true, min: -100, max: 100, unit: '%' }),
              num(`${p}_MirrorPosY`, 8, { signed: true, min: -100, max: 100, unit: '%' }),
              flag(`${p}_MirrorHeat`, undefined, OFF_ON),
              flag(`${p}_BlindSpotLed`, undefined, OFF_ON),
            ]
          : [flag(`${p}_ChildLock`, undefined, OFF_ON), flag(`${p}_SunBlind`, undefined, OFF_ON)]),
      ],
    });
  }
}

function seats(bus: BusBuilder): void {
  for (const p of ['SCUFL', 'SCUFR'] as const) {
    bus.message({
      name: `${p}_Position`,
      length: 8,
      sender: p,
      cycleTimeMs: 200,
      comment: 'Power seat axes',
      signals: [
        num(`${p}_ForeAft`, 8, { min: 0, max: 255, unit: 'mm' }),
        num(`${p}_Height`, 7, { min: 0, max: 100, unit: 'mm' }),
        num(`${p}_Recline`, 7, { signed: true, min: -30, max: 60, unit: 'deg' }),
        num(`${p}_CushionTilt`, 6, { signed: true, min: -15, max: 15, unit: 'deg' }),
        percent8(`${p}_Lumbar`),
        percent8(`${p}_Bolster`),
        num(`${p}_CushionLength`, 6, { min: 0, max: 60, unit: 'mm' }),
        num(`${p}_Headrest`, 7, { min: 0, max: 100, unit: 'mm' }),
        enumeration(`${p}_MemoryRecall`, 2, [
          [0, 'None'],
          [1, 'Memory1'],
          [2, 'Memory2'],
          [3, 'Memory3'],
        ]),
      ],
    });
    bus.message({
      name: `${p}_Comfort`,
      length: 8,
      sender: p,
      cycleTimeMs: 200,
      comment: 'Seat climate, massage and occupancy',
      signals: [
        enumeration(`${p}_Heat`, 2, HEAT_LEVEL),
        enumeration(`${p}_Vent`, 2, HEAT_LEVEL),
        enumeration(`${p}_Massage`, 3, [
          [0, 'Off'],
          [1, 'Wave'],
          [2, 'Pulse'],
          [3, 'Stretch'],
          [4, 'Lumbar'],
          [5, 'Shoulder'],
        ]),
        enumeration(`${p}_MassageLevel`, 2, HEAT_LEVEL),
        flag(`${p}_Occupied`, undefined, NO_YES),
        flag(`${p}_BeltBuckled`, undefined, NO_YES),
        temp8(`${p}_SurfaceTemp`),
        flag(`${p}_FltHeater`, undefined, OK_FAULT),
        flag(`${p}_FltMotor`, undefined, OK_FAULT),
      ],
    });
  }
  bus.message({
    name: 'SCUR_Status',
    length: 8,
    sender: 'SCUR',
    cycleTimeMs: 200,
    comment: 'Rear bench: three seating positions',
    signals: ['L', 'C', 'R'].flatMap((s): SignalSpec[] => [
      enumeration(`SCUR_Heat${s}`, 2, HEAT_LEVEL),
      flag(`SCUR_Occupied${s}`, undefined, NO_YES),
      flag(`SCUR_BeltBuckled${s}`, undefined, NO_YES),
      flag(`SCUR_Folded${s}`, undefined, NO_YES),
    ]),
  });
}

function climate(bus: BusBuilder): void {
  const zones = ['FL', 'FR', 'RL', 'RR'] as const;
  bus.message({
    name: 'HVAC_Zones',
    length: 8,
    sender: 'HVAC',
    cycleTimeMs: 200,
    comment: 'Driver-set climate targets per zone',
    signals: [
      ...zones.map((z) => num(`HVAC_Setpoint${z}`, 6, { scale: 0.5, offset: 15, min: 15, max: 31, unit: '°C' })),
      num('HVAC_BlowerLevel', 4, { max: 10 }),
      flag('HVAC_AcOn', undefined, OFF_ON),
      flag('HVAC_Auto', undefined, OFF_ON),
      flag('HVAC_Recirc', undefined, OFF_ON),
      flag('HVAC_DefrostFront', undefined, OFF_ON),
      flag('HVAC_DefrostRear', undefined, OFF_ON),
      flag('HVAC_Sync', undefined, OFF_ON),
      enumeration('HVAC_AirDistFront', 3, [
        [0, 'Auto'],
        [1, 'Face'],
        [2, 'FaceFeet'],
        [3, 'Feet'],
        [4, 'FeetDefrost'],
        [5, 'Defrost'],
      ]),
      enumeration('HVAC_AirDistRear', 3, [
        [0, 'Auto'],
        [1, 'Face'],
        [2, 'FaceFeet'],
        [3, 'Feet'],
      ]),
      flag('HVAC_PreconditionActive', undefined, INACTIVE_ACTIVE),
    ],
  });
  bus.message({
    name: 'HVAC_Sensors',
    length: 8,
    sender: 'HVAC',
    cycleTimeMs: 500,
    comment: 'Cabin sensors',
    signals: [
      ...zones.map((z) => temp8(`HVAC_CabinTemp${z}`)),
      num('HVAC_Co2', 8, { scale: 20, min: 0, max: 5000, unit: 'ppm' }),
      num('HVAC_Pm25', 8, { scale: 2, min: 0, max: 500, unit: 'ug/m3' }),
      percent8('HVAC_Humidity'),
      temp8('HVAC_EvaporatorTemp'),
    ],
  });
  bus.message({
    name: 'HVAC_Ducts',
    length: 8,
    sender: 'HVAC',
    cycleTimeMs: 500,
    comment: 'Outlet duct temperatures',
    signals: ['FaceL', 'FaceR', 'FeetL', 'FeetR', 'RearFace', 'RearFeet', 'Defrost', 'Heater'].map((d) =>
      temp8(`HVAC_Duct${d}`),
    ),
  });
  bus.message({
    name: 'HVAC_Actuators',
    length: 8,
    sender: 'HVAC',
    cycleTimeMs: 200,
    comment: 'Flap positions and blower',
    signals: [
      ...['BlendFL', 'BlendFR', 'BlendRL', 'BlendRR', 'ModeFront', 'ModeRear', 'Recirc'].map((d) =>
        percent8(`HVAC_Flap${d}`),
      ),
      flag('HVAC_Ionizer', undefined, OFF_ON),
      flag('HVAC_FltFlapMotor', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'HVAC_Blower',
    length: 8,
    sender: 'HVAC',
    cycleTimeMs: 200,
    comment: 'Blower motor',
    signals: [
      num('HVAC_BlowerSpeed', 12, { min: 0, max: 4000, unit: 'rpm' }),
      num('HVAC_BlowerCurrent', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
      flag('HVAC_FltBlower', undefined, OK_FAULT),
    ],
  });
}

function environment(bus: BusBuilder): void {
  bus.message({
    name: 'BCM_Environment',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 500,
    comment: 'Outside conditions',
    signals: [
      num('BCM_AmbientTemp', 10, {
        scale: 0.1,
        offset: -40,
        min: -40,
        max: 62.3,
        unit: '°C',
        comment: 'Outside air temperature, filtered against heat soak from the front-end module',
      }),
      num('BCM_AmbientTempRaw', 10, { scale: 0.1, offset: -40, min: -40, max: 62.3, unit: '°C' }),
      enumeration('BCM_PowerMode', 3, POWER_MODE),
      flag('BCM_Kl15', 'Ignition terminal 15', OFF_ON),
      flag('BCM_Kl30b', 'Switched permanent terminal', OFF_ON),
      flag('BCM_Kl50', 'Start request', OFF_ON),
    ],
  });
  bus.message({
    name: 'RLS_Data',
    length: 8,
    sender: 'RLS',
    cycleTimeMs: 200,
    comment: 'Windscreen sensor',
    signals: [
      num('RLS_RainIntensity', 4, { max: 15 }),
      num('RLS_AmbientLight', 16, { min: 0, max: 65535, unit: 'lx' }),
      num('RLS_SolarLeft', 8, { scale: 5, min: 0, max: 1275, unit: 'W/m2' }),
      num('RLS_SolarRight', 8, { scale: 5, min: 0, max: 1275, unit: 'W/m2' }),
      percent8('RLS_Humidity'),
      num('RLS_GlassTemp', 8, { scale: 0.5, offset: -40, min: -40, max: 87.5, unit: '°C' }),
      flag('RLS_HeadlampReq', undefined, OFF_ON),
    ],
  });
  bus.message({
    name: 'BCM_Wipers',
    length: 8,
    sender: 'BCM',
    cycleTimeMs: 100,
    comment: 'Wipers and washer',
    signals: [
      enumeration('BCM_WiperMode', 3, [
        [0, 'Off'],
        [1, 'Interval'],
        [2, 'Low'],
        [3, 'High'],
        [4, 'Auto'],
        [5, 'Service'],
      ]),
      num('BCM_WiperSensitivity', 3, { max: 4 }),
      flag('BCM_WiperParked', undefined, NO_YES),
      flag('BCM_RearWiper', undefined, OFF_ON),
      flag('BCM_Washer', undefined, OFF_ON),
      flag('BCM_WasherFluidLow', undefined, NO_YES),
      flag('BCM_FltWiperMotor', undefined, OK_FAULT),
    ],
  });
  bus.message({
    name: 'IBS_Battery12V',
    length: 8,
    sender: 'IBS',
    cycleTimeMs: 100,
    comment: '12 V battery state from the shunt sensor',
    signals: [
      num('IBS_BatteryVoltage', 16, {
        scale: 0.001,
        min: 0,
        max: 20,
        unit: 'V',
        comment: '12 V battery terminal voltage: below 11.8 V at rest the battery is discharged',
      }),
      num('IBS_BatteryCurrent', 16, { signed: true, scale: 0.01, min: -300, max: 300, unit: 'A' }),
      temp8('IBS_BatteryTemp'),
      percent8('IBS_BatterySoc'),
      percent8('IBS_BatterySoh'),
      flag('IBS_QuiescentHigh', 'Sleep current above 50 mA', NO_YES),
    ],
  });
}

const TELLTALES_A = [
  'Ready',
  'Brake',
  'Abs',
  'Esc',
  'EscOff',
  'Airbag',
  'Seatbelt',
  'Tpms',
  'BatteryHv',
  'Battery12V',
  'Charging',
  'PowerLimited',
  'Powertrain',
  'Temperature',
  'LowBeam',
  'HighBeam',
  'FogRear',
  'TurnLeft',
  'TurnRight',
  'Epb',
  'HillDescent',
  'AutoHold',
  'Steering',
  'DoorOpen',
  'WasherFluid',
  'Service',
  'Lka',
  'Acc',
  'Bsm',
  'Fcw',
  'Pedestrian',
  'BrakeWear',
];

function cluster(bus: BusBuilder): void {
  const half = TELLTALES_A.length / 2;
  for (const [suffix, names] of [
    ['A', TELLTALES_A.slice(0, half)],
    ['B', TELLTALES_A.slice(half)],
  ] as const) {
    bus.message({
      name: `IC_Telltales${suffix}`,
      length: 8,
      sender: 'IC',
      cycleTimeMs: 200,
      comment: 'Warning lamps as the cluster shows them (confirms what the driver saw)',
      signals: names.map((t) => enumeration(`IC_Tt${t}`, 2, LAMP_STATE)),
    });
  }
  bus.message({
    name: 'IC_Display',
    length: 8,
    sender: 'IC',
    cycleTimeMs: 500,
    comment: 'Cluster display settings and displayed values',
    signals: [
      num('IC_DisplayedSpeed', 9, { min: 0, max: 300, unit: 'km/h' }),
      percent8('IC_DisplayedSoc'),
      percent8('IC_Brightness'),
      enumeration('IC_Layout', 3, [
        [0, 'Classic'],
        [1, 'Minimal'],
        [2, 'Map'],
        [3, 'Sport'],
        [4, 'Efficiency'],
      ]),
      enumeration('IC_DistanceUnit', 1, [
        [0, 'km'],
        [1, 'mi'],
      ]),
      enumeration('IC_Language', 5, [
        [0, 'en'],
        [1, 'de'],
        [2, 'fr'],
        [3, 'es'],
        [4, 'it'],
        [5, 'zh'],
        [6, 'ja'],
      ]),
      flag('IC_NightMode', undefined, OFF_ON),
    ],
  });
  bus.message({
    name: 'IC_Trip',
    length: 8,
    sender: 'IC',
    cycleTimeMs: 1000,
    comment: 'Trip computer since last reset',
    signals: [
      num('IC_TripDistance', 17, { scale: 0.1, min: 0, max: 9999.9, unit: 'km' }),
      num('IC_TripDuration', 14, { min: 0, max: 9999, unit: 'min' }),
      num('IC_TripAvgSpeed', 8, { min: 0, max: 250, unit: 'km/h' }),
      num('IC_TripAvgConsumption', 10, { scale: 0.1, min: 0, max: 100, unit: 'kWh/100km' }),
    ],
  });
  bus.message({
    name: 'IC_Service',
    length: 8,
    sender: 'IC',
    cycleTimeMs: 1000,
    comment: 'Service interval',
    signals: [
      num('IC_ServiceDays', 10, { signed: true, min: -365, max: 730, unit: 'd' }),
      num('IC_ServiceDistance', 16, { signed: true, scale: 10, min: -50000, max: 50000, unit: 'km' }),
      flag('IC_ServiceDue', undefined, NO_YES),
    ],
  });
}

function infotainment(bus: BusBuilder): void {
  bus.message({
    name: 'IVI_Status',
    length: 8,
    sender: 'IVI',
    cycleTimeMs: 200,
    comment: 'Head unit state',
    signals: [
      enumeration('IVI_AudioSource', 4, [
        [0, 'None'],
        [1, 'Radio'],
        [2, 'Dab'],
        [3, 'Bluetooth'],
        [4, 'Usb'],
        [5, 'Streaming'],
        [6, 'Phone'],
        [7, 'Navigation'],
      ]),
      num('IVI_Volume', 6, { max: 40 }),
      flag('IVI_Mute', undefined, OFF_ON),
      enumeration('IVI_CallState', 2, [
        [0, 'Idle'],
        [1, 'Ringing'],
        [2, 'Active'],
        [3, 'Held'],
      ]),
      percent8('IVI_ScreenBrightness'),
      enumeration('IVI_ProjectionMode', 2, [
        [0, 'None'],
        [1, 'CarPlay'],
        [2, 'AndroidAuto'],
      ]),
      flag('IVI_VoiceAssistant', undefined, INACTIVE_ACTIVE),
      temp8('IVI_SocTemp'),
    ],
  });
  bus.message({
    name: 'IVI_Navigation',
    length: 8,
    sender: 'IVI',
    cycleTimeMs: 500,
    receivers: ['IC', 'HUD'],
    comment: 'Turn-by-turn guidance for cluster and head-up display',
    signals: [
      flag('IVI_NavActive', undefined, NO_YES),
      enumeration('IVI_NavManeuver', 5, [
        [0, 'None'],
        [1, 'Straight'],
        [2, 'SlightLeft'],
        [3, 'Left'],
        [4, 'SharpLeft'],
        [5, 'SlightRight'],
        [6, 'Right'],
        [7, 'SharpRight'],
        [8, 'UTurn'],
        [9, 'Roundabout'],
        [10, 'Exit'],
        [11, 'Destination'],
        [12, 'Charger'],
      ]),
      num('IVI_NavDistToManeuver', 14, { scale: 10, min: 0, max: 100000, unit: 'm' }),
      num('IVI_NavDistToDest', 14, { min: 0, max: 9999, unit: 'km' }),
      num('IVI_NavSpeedLimit', 8, { min: 0, max: 250, unit: 'km/h' }),
      percent8('IVI_NavArrivalSoc'),
    ],
  });
  bus.message({
    name: 'AMP_Status',
    length: 8,
    sender: 'AMP',
    cycleTimeMs: 500,
    comment: 'Amplifier settings and channel diagnostics',
    signals: [
      num('AMP_Bass', 5, { signed: true, min: -10, max: 10, unit: 'dB' }),
      num('AMP_Mid', 5, { signed: true, min: -10, max: 10, unit: 'dB' }),
      num('AMP_Treble', 5, { signed: true, min: -10, max: 10, unit: 'dB' }),
      num('AMP_Balance', 5, { signed: true, min: -10, max: 10 }),
      num('AMP_Fader', 5, { signed: true, min: -10, max: 10 }),
      temp8('AMP_Temp'),
      ...Array.from({ length: 16 }, (_, i) => flag(`AMP_FltChannel${pad2(i + 1)}`, undefined, OK_FAULT)),
    ],
  });
  bus.message({
    name: 'HUD_Status',
    length: 8,
    sender: 'HUD',
    cycleTimeMs: 500,
    comment: 'Head-up display',
    signals: [
      flag('HUD_On', undefined, OFF_ON),
      percent8('HUD_Brightness'),
      num('HUD_ImageHeight', 6, { signed: true, min: -20, max: 20, unit: 'mm' }),
      num('HUD_ImageRotation', 6, { signed: true, scale: 0.1, min: -3, max: 3, unit: 'deg' }),
      enumeration('HUD_Content', 2, [
        [0, 'Minimal'],
        [1, 'Standard'],
        [2, 'ArNavigation'],
      ]),
      temp8('HUD_PguTemp'),
    ],
  });
  const buttons = [
    'VolUp',
    'VolDown',
    'Next',
    'Prev',
    'Voice',
    'Phone',
    'AccSet',
    'AccRes',
    'AccCancel',
    'GapUp',
    'GapDown',
    'Lka',
    'View',
    'Ok',
    'Back',
    'Custom',
  ];
  bus.message({
    name: 'MFSW_Buttons',
    length: 8,
    sender: 'MFSW',
    cycleTimeMs: 20,
    receivers: ['IVI', 'IC'],
    comment: 'Steering wheel buttons and rollers',
    signals: [
      crc('MFSW_Buttons'),
      counter('MFSW_Buttons'),
      ...buttons.map((b) => flag(`MFSW_${b}`, undefined, OFF_ON)),
      num('MFSW_RollerLeft', 4, { signed: true, min: -8, max: 7 }),
      num('MFSW_RollerRight', 4, { signed: true, min: -8, max: 7 }),
      flag('MFSW_HeaterOn', undefined, OFF_ON),
      temp8('MFSW_RimTemp'),
    ],
  });
  bus.message({
    name: 'RCM_Status',
    length: 8,
    sender: 'RCM',
    cycleTimeMs: 500,
    comment: 'Roof console',
    signals: [
      flag('RCM_SosButton', 'Manual emergency call', OFF_ON),
      flag('RCM_AssistButton', undefined, OFF_ON),
      flag('RCM_ReadingLampL', undefined, OFF_ON),
      flag('RCM_ReadingLampR', undefined, OFF_ON),
      flag('RCM_CabinCamera', undefined, INACTIVE_ACTIVE),
      flag('RCM_IntrusionSensor', undefined, INACTIVE_ACTIVE),
      flag('RCM_FltMicrophone', undefined, OK_FAULT),
    ],
  });
}

function telematics(bus: BusBuilder): void {
  gnssPosition(bus, 'TCU');
  bus.message({
    name: 'TCU_Status',
    length: 8,
    sender: 'TCU',
    cycleTimeMs: 1000,
    comment: 'Connectivity and GNSS quality',
    signals: [
      num('TCU_Altitude', 14, { signed: true, scale: 1, min: -500, max: 8000, unit: 'm' }),
      num('TCU_Heading', 9, { min: 0, max: 359, unit: 'deg' }),
      num('TCU_GnssSpeed', 9, { min: 0, max: 300, unit: 'km/h' }),
      enumeration('TCU_FixType', 2, [
        [0, 'None'],
        [1, '2D'],
        [2, '3D'],
        [3, 'RTK'],
      ]),
      num('TCU_Satellites', 6, { max: 63 }),
      num('TCU_SignalStrength', 8, { signed: true, min: -128, max: 0, unit: 'dBm' }),
      enumeration('TCU_NetworkType', 3, [
        [0, 'None'],
        [1, '2G'],
        [2, '3G'],
        [3, 'LTE'],
        [4, '5G'],
      ]),
      flag('TCU_Roaming', undefined, NO_YES),
      flag('TCU_EcallActive', undefined, INACTIVE_ACTIVE),
    ],
  });
}

function access(bus: BusBuilder): void {
  bus.message({
    name: 'PEPS_Status',
    length: 8,
    sender: 'PEPS',
    cycleTimeMs: 200,
    comment: 'Keys and immobiliser',
    signals: [
      enumeration('PEPS_KeyLocation', 3, [
        [0, 'None'],
        [1, 'Outside'],
        [2, 'Inside'],
        [3, 'Trunk'],
        [4, 'Phone'],
      ]),
      num('PEPS_KeysDetected', 3, { max: 7 }),
      flag('PEPS_ImmoReleased', undefined, NO_YES),
      flag('PEPS_KeyBatteryLow', undefined, NO_YES),
      flag('PEPS_PhoneAsKey', undefined, INACTIVE_ACTIVE),
      num('PEPS_KeyId', 4, { max: 15 }),
    ],
  });
  bus.message({
    name: 'PEPS_KeyEvent',
    length: 8,
    sender: 'PEPS',
    comment: 'Sent once per key button press or remote command (event-driven: no cycle, never stale)',
    signals: [
      enumeration('PEPS_KeyCommand', 4, [
        [0, 'None'],
        [1, 'Lock'],
        [2, 'Unlock'],
        [3, 'Tailgate'],
        [4, 'Panic'],
        [5, 'Summon'],
        [6, 'RemoteClimate'],
      ]),
      enumeration('PEPS_KeySource', 2, [
        [0, 'Fob'],
        [1, 'Phone'],
        [2, 'Card'],
        [3, 'Remote'],
      ]),
      num('PEPS_EventCounter', 8),
    ],
  });
  bus.message({
    name: 'WPC_Status',
    length: 8,
    sender: 'WPC',
    cycleTimeMs: 500,
    comment: 'Qi wireless charger',
    signals: [
      enumeration('WPC_State', 3, [
        [0, 'Off'],
        [1, 'Idle'],
        [2, 'Charging'],
        [3, 'Complete'],
        [4, 'ForeignObject'],
        [5, 'Overtemp'],
      ]),
      num('WPC_Power', 6, { min: 0, max: 50, unit: 'W' }),
      temp8('WPC_CoilTemp'),
      flag('WPC_PhoneForgotten', 'Phone left on the pad when the driver leaves', NO_YES),
    ],
  });
  bus.message({
    name: 'PTG_Status',
    length: 8,
    sender: 'PTG',
    cycleTimeMs: 100,
    comment: 'Power tailgate',
    signals: [
      percent8('PTG_Position'),
      enumeration('PTG_State', 3, [
        [0, 'Closed'],
        [1, 'Opening'],
        [2, 'Open'],
        [3, 'Closing'],
        [4, 'Stopped'],
        [5, 'Fault'],
      ]),
      flag('PTG_Obstacle', undefined, NO_YES),
      flag('PTG_KickSensor', undefined, OFF_ON),
      num('PTG_SpindleCurrent', 8, { scale: 0.1, min: 0, max: 25, unit: 'A' }),
    ],
  });
  bus.message({
    name: 'SRF_Status',
    length: 8,
    sender: 'SRF',
    cycleTimeMs: 200,
    comment: 'Sunroof and shade',
    signals: [
      percent8('SRF_GlassPos'),
      percent8('SRF_ShadePos'),
      flag('SRF_Tilted', undefined, NO_YES),
      flag('SRF_RainClose', 'Closed automatically because of rain', NO_YES),
      flag('SRF_FltPinch', undefined, OK_FAULT),
      flag('SRF_FltMotor', undefined, OK_FAULT),
    ],
  });
}

function safety(bus: BusBuilder): void {
  const positions = ['Driver', 'Passenger', 'RearL', 'RearC', 'RearR'];
  bus.message({
    name: 'SRS_Status',
    length: 8,
    sender: 'SRS',
    cycleTimeMs: 100,
    comment: 'Restraint system readiness and occupant classification',
    signals: [
      crc('SRS_Status'),
      counter('SRS_Status'),
      enumeration('SRS_SystemState', 2, [
        [0, 'Init'],
        [1, 'Ready'],
        [2, 'Fault'],
        [3, 'Deployed'],
      ]),
      enumeration('SRS_OccupantClass', 3, [
        [0, 'Empty'],
        [1, 'ChildSeat'],
        [2, 'Child'],
        [3, 'SmallAdult'],
        [4, 'Adult'],
        [7, 'SNA'],
      ]),
      flag('SRS_PassengerAirbagOff', undefined, NO_YES),
      ...positions.map((p) =>
        enumeration(`SRS_Belt${p}`, 2, [
          [0, 'Unbuckled'],
          [1, 'Buckled'],
          [2, 'NotOccupied'],
          [3, 'SNA'],
        ]),
      ),
      enumeration('SRS_Lamp', 2, LAMP_STATE),
    ],
  });
  bus.message({
    name: 'SRS_CrashEvent',
    length: 8,
    sender: 'SRS',
    comment: 'Sent on a crash (event-driven): triggers high-voltage disconnect, unlocking and eCall',
    signals: [
      enumeration('SRS_CrashType', 3, [
        [0, 'None'],
        [1, 'Front'],
        [2, 'Side'],
        [3, 'Rear'],
        [4, 'Rollover'],
        [5, 'Pedestrian'],
      ]),
      num('SRS_CrashSeverity', 4, { max: 15 }),
      ...['FrontDriver', 'FrontPassenger', 'KneeDriver', 'SideFL', 'SideFR', 'CurtainL', 'CurtainR', 'FarSide'].map(
        (a) => flag(`SRS_Deployed${a}`, undefined, NO_YES),
      ),
      flag('SRS_PretensionerFront', undefined, NO_YES),
      flag('SRS_PretensionerRear', undefined, NO_YES),
      flag('SRS_HvDisconnectReq', undefined, NO_YES),
      num('SRS_DeltaV', 8, { scale: 0.5, min: 0, max: 127.5, unit: 'km/h' }),
    ],
  });
}

function gateway(bus: BusBuilder): void {
  const buses = ['Powertrain', 'Chassis', 'Body', 'Bms', 'Adas'];
  bus.message({
    name: 'GWM_BusLoad',
    length: 8,
    sender: 'GWM',
    cycleTimeMs: 1000,
    comment: 'Bus load per domain, averaged over one second',
    signals: buses.map((b) => percent8(`GWM_Load${b}`)),
  });
  bus.message({
    name: 'GWM_BusErrors',
    length: 8,
    sender: 'GWM',
    cycleTimeMs: 1000,
    comment: 'CAN error counters per domain',
    signals: buses.flatMap((b) => [
      num(`GWM_ErrFrames${b}`, 8, { comment: 'Error frames in the last second, saturating' }),
      flag(`GWM_BusOff${b}`, undefined, NO_YES),
    ]),
  });
  bus.message({
    name: 'GWM_Vehicle',
    length: 8,
    sender: 'GWM',
    cycleTimeMs: 1000,
    comment: 'Vehicle-level state the gateway owns',
    signals: [
      enumeration('GWM_VehicleMode', 3, [
        [0, 'Normal'],
        [1, 'Transport'],
        [2, 'Factory'],
        [3, 'Service'],
        [4, 'Crash'],
      ]),
      flag('GWM_OtaInProgress', undefined, NO_YES),
      num('GWM_TimeSinceWakeup', 16, { min: 0, max: 65535, unit: 's' }),
      lowVoltage('GWM_SupplyMin', 'Lowest supply voltage since wake-up'),
      num('GWM_WakeupCount', 16, { comment: 'Wake-ups since last clear' }),
    ],
  });
}

export function auroraBody(version: string): BusDefinition {
  const bus = new BusBuilder(
    {
      name: 'body',
      index: 2,
      dbcFile: 'aurora_body.dbc',
      bitrate: 500_000,
      comment: 'Body, comfort, infotainment and telematics',
    },
    'aurora_body',
    version,
  );
  ECUS.forEach((ecu, i) => addEcu(bus, ecu, 0x40 + i));
  lighting(bus);
  doors(bus);
  seats(bus);
  climate(bus);
  environment(bus);
  cluster(bus);
  infotainment(bus);
  telematics(bus);
  access(bus);
  safety(bus);
  gateway(bus);
  return bus.build();
}
