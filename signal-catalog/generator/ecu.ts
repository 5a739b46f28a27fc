/**
 * The frames every ECU sends whatever its function: AUTOSAR network management, a health frame, a DTC broadcast and
 * its version. They are a large share of a real matrix and what fleet diagnostics reads first.
 */
import type { BusBuilder } from './bus.js';
import { crc, counter, enumeration, flag, lowVoltage, num, temp8 } from './signals.js';
import { DTC_SEVERITY, ECU_STATE, LAMP_STATE, NO_YES, OK_FAULT, WAKEUP_REASON } from './tables.js';

export interface Ecu {
  /** Node name, also the prefix of its frames and signals (≤ 6 characters keeps names under 32). */
  readonly name: string;
  readonly comment: string;
}

const DTC_STATUS_BITS: readonly (readonly [string, string])[] = [
  ['TestFailed', 'ISO 14229 status bit 0: the most recent test failed'],
  ['FailedThisCycle', 'Status bit 1: failed during the current operation cycle'],
  ['Pending', 'Status bit 2: pending DTC'],
  ['Confirmed', 'Status bit 3: confirmed DTC, stored in fault memory'],
  ['NotDoneSinceClear', 'Status bit 4: test not completed since the last clear'],
  ['FailedSinceClear', 'Status bit 5: test failed since the last clear'],
  ['NotDoneThisCycle', 'Status bit 6: test not completed this operation cycle'],
  ['WarningLamp', 'Status bit 7: warning indicator requested'],
];

export const FAULT_FLAGS = [
  'SupplyUnder',
  'SupplyOver',
  'Overtemp',
  'ComLoss',
  'Internal',
  'Sensor',
  'Actuator',
  'Calibration',
] as const;

/** Which of the standard frames an ECU sends; older architectures have no NM, version or security frames. */
export interface EcuFrames {
  readonly networkManagement?: boolean;
  readonly version?: boolean;
  /** SecOC and intrusion-detection status, as UN R155 cyber-security management asks of new platforms. */
  readonly security?: boolean;
}

const IDS_EVENTS = [
  [0, 'None'],
  [1, 'UnknownFrameId'],
  [2, 'RateAnomaly'],
  [3, 'MacFailure'],
  [4, 'DiagnosticAttack'],
  [5, 'SecurityAccessDenied'],
  [6, 'BusFlooding'],
  [7, 'FirmwareMismatch'],
  [15, 'SNA'],
] as const;

export function addEcu(bus: BusBuilder, ecu: Ecu, nodeId: number, frames: EcuFrames = {}): void {
  const e = ecu.name;
  bus.node(e, ecu.comment);

  if (frames.networkManagement !== false)
    bus.message(
      {
        name: `${e}_NM`,
        length: 8,
        sender: e,
        cycleTimeMs: 500,
        comment: `AUTOSAR network management frame of ${e}; its absence means the node is asleep or off the bus`,
        signals: [
          num(`${e}_NmSourceNode`, 8, { min: nodeId, max: nodeId, comment: 'NM node id of the sender' }),
          flag(`${e}_NmRepeatMsgReq`, 'Control bit vector: repeat message request', NO_YES),
          flag(`${e}_NmActiveWakeup`, 'Control bit vector: this node woke the network', NO_YES),
          flag(`${e}_NmPartialNet`, 'Control bit vector: partial network information present', NO_YES),
          enumeration(`${e}_NmWakeupReason`, 8, WAKEUP_REASON),
          num(`${e}_NmPncRequest`, 16, { comment: 'Partial network clusters this node keeps awake (bit mask)' }),
        ],
      },
      'nm',
    );

  bus.message({
    name: `${e}_Health`,
    length: 8,
    sender: e,
    cycleTimeMs: 100,
    comment: `Operating state and self-test results of ${e}`,
    signals: [
      crc(`${e}_Health`),
      counter(`${e}_Health`),
      enumeration(`${e}_State`, 3, ECU_STATE),
      lowVoltage(`${e}_SupplyVoltage`, 'Terminal 30 voltage measured by the ECU'),
      temp8(`${e}_InternalTemp`, 'PCB temperature'),
      num(`${e}_CpuLoad`, 7, { max: 100, unit: '%' }),
      enumeration(`${e}_FaultLampReq`, 2, LAMP_STATE),
      ...FAULT_FLAGS.map((f) => flag(`${e}_Flt${f}`, undefined, OK_FAULT)),
    ],
  });

  bus.message(
    {
      name: `${e}_DtcStatus`,
      length: 8,
      sender: e,
      cycleTimeMs: 1000,
      comment:
        `Fault memory broadcast of ${e}: cycles through its stored DTCs, one per frame; ` +
        'DtcCode 0 with DtcCount 0 means fault memory is empty',
      signals: [
        num(`${e}_DtcCode`, 24, {
          comment: 'UDS DTC: high 16 bits SAE J2012 code (e.g. 0x0A9F = P0A9F), low 8 bits failure type byte',
        }),
        ...DTC_STATUS_BITS.map(([bit, comment]) => flag(`${e}_Dtc${bit}`, comment, NO_YES)),
        num(`${e}_DtcCount`, 8, { comment: 'Number of DTCs in fault memory' }),
        num(`${e}_DtcIndex`, 8, { comment: 'Position of this DTC in fault memory (0-based)' }),
        num(`${e}_DtcOccurrences`, 8, { comment: 'How many operation cycles this DTC failed in' }),
        enumeration(`${e}_DtcSeverity`, 3, DTC_SEVERITY),
      ],
    },
    'dtc',
  );

  if (frames.security !== false) {
    bus.message(
      {
        name: `${e}_Security`,
        length: 8,
        sender: e,
        cycleTimeMs: 1000,
        comment: `Secure onboard communication and intrusion detection status of ${e}`,
        signals: [
          num(`${e}_SecOcFreshness`, 32, { comment: 'SecOC freshness value (trip counter and message counter)' }),
          num(`${e}_SecOcFailures`, 8, { comment: 'Frames rejected for a bad MAC since wake-up, saturating' }),
          enumeration(`${e}_IdsEvent`, 4, IDS_EVENTS, 'Most recent intrusion-detection event'),
          num(`${e}_IdsEventCount`, 8, { comment: 'Intrusion-detection events since wake-up, saturating' }),
          flag(`${e}_SecureBootOk`, 'Firmware signature verified at the last boot', NO_YES),
          flag(`${e}_DebugLocked`, 'JTAG and debug interfaces locked', NO_YES),
          flag(`${e}_KeysProvisioned`, 'SecOC keys installed', NO_YES),
        ],
      },
      'security',
    );
  }

  if (frames.version === false) return;
  bus.message(
    {
      name: `${e}_Version`,
      length: 8,
      sender: e,
      cycleTimeMs: 1000,
      comment: `Software, hardware and lifetime counters of ${e}`,
      signals: [
        num(`${e}_SwMajor`, 8),
        num(`${e}_SwMinor`, 8),
        num(`${e}_SwPatch`, 8),
        num(`${e}_HwVersion`, 8),
        num(`${e}_BootVersion`, 8),
        num(`${e}_OperatingHours`, 20, { scale: 0.1, unit: 'h' }),
        num(`${e}_ResetCounter`, 4, { comment: 'Unexpected resets since last clear, saturating at 15' }),
      ],
    },
    'version',
  );
}
