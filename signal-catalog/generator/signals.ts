/** Short constructors for the signal shapes production matrices repeat: flags, enums, counters, temperatures. */
import type { SignalSpec, ValueTable } from './layout.js';
import { OFF_ON } from './tables.js';

type Extra = Omit<SignalSpec, 'name' | 'length'>;

export const num = (name: string, length: number, extra: Extra = {}): SignalSpec => ({ name, length, ...extra });

export const flag = (name: string, comment?: string, choices: ValueTable = OFF_ON): SignalSpec => ({
  name,
  length: 1,
  choices,
  ...(comment === undefined ? {} : { comment }),
});

export const enumeration = (name: string, length: number, choices: ValueTable, comment?: string): SignalSpec => ({
  name,
  length,
  choices,
  ...(comment === undefined ? {} : { comment }),
});

/** E2E protection (AUTOSAR profile 1 style): the receiver drops a frame whose CRC or counter is wrong. */
export const crc = (prefix: string): SignalSpec => ({
  name: `${prefix}_Crc`,
  length: 8,
  comment: 'E2E CRC-8 (SAE J1850) over data id and payload',
});
export const counter = (prefix: string): SignalSpec => ({
  name: `${prefix}_Counter`,
  length: 4,
  max: 14,
  comment: 'E2E alive counter, 0..14, increments every frame',
});

/** 8-bit temperature, 1 °C, −40..+214 °C; 255 is SNA. */
export const temp8 = (name: string, comment?: string): SignalSpec => ({
  name,
  length: 8,
  offset: -40,
  min: -40,
  max: 214,
  unit: '°C',
  ...(comment === undefined ? {} : { comment }),
});

/** 16-bit signed temperature, 0.1 °C. */
export const temp16 = (name: string, comment?: string): SignalSpec => ({
  name,
  length: 16,
  signed: true,
  scale: 0.1,
  min: -50,
  max: 250,
  unit: '°C',
  ...(comment === undefined ? {} : { comment }),
});

/** 0..100 % in 8 bits (0.4 % resolution); 251..255 unused. */
export const percent8 = (name: string, comment?: string): SignalSpec => ({
  name,
  length: 8,
  scale: 0.4,
  min: 0,
  max: 100,
  unit: '%',
  ...(comment === undefined ? {} : { comment }),
});

/** 0..100 % in 10 bits (0.1 %). */
export const percent10 = (name: string, comment?: string): SignalSpec => ({
  name,
  length: 10,
  scale: 0.1,
  min: 0,
  max: 100,
  unit: '%',
  ...(comment === undefined ? {} : { comment }),
});

/** Vehicle-network voltage (12 V system), 0.1 V in 8 bits. */
export const lowVoltage = (name: string, comment?: string): SignalSpec => ({
  name,
  length: 8,
  scale: 0.1,
  min: 0,
  max: 25,
  unit: 'V',
  ...(comment === undefined ? {} : { comment }),
});

/** Two-digit zero-padded index: 1 → "01". */
export const pad2 = (n: number): string => String(n).padStart(2, '0');
export const pad3 = (n: number): string => String(n).padStart(3, '0');

/** Wheel positions as signal-name suffixes, in the order matrices list them. */
export const WHEELS = ['FL', 'FR', 'RL', 'RR'] as const;
