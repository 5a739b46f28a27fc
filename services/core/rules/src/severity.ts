/** Alert severities, in the order and with the numbers of telltale.alerts.v1.Severity. */
export const SEVERITIES = ['info', 'warning', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The proto enum value: info 1 … critical 4. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity) + 1;

export const isSeverity = (value: unknown): value is Severity =>
  typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
