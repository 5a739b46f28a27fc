/** The /v1 answers the console reads (the fields it uses; the OpenAPI document at /openapi.json has them all). */
export type Role = 'viewer' | 'engineer' | 'admin';

export interface Me {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly fleets: string[];
}

export interface Fleet {
  readonly fleetId: string;
  readonly name: string;
  readonly vehicleCount?: number;
}

export interface OverviewVehicle {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly lastSeen: { eventTimeMs: number } | null;
  readonly signals: { total: number; stale: number; staleShare: number | null };
  readonly openAlerts: Record<'info' | 'warning' | 'major' | 'critical', number>;
}

export interface SignalValueJson {
  readonly id: number;
  readonly name: string;
  readonly qualifiedName: string;
  readonly unit: string;
  readonly value: number;
  readonly label: string | null;
  readonly eventTimeMs: number;
  readonly stale: boolean;
}

export interface AlertJson {
  readonly alertId: string;
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleName: string;
  readonly state: string;
  readonly severity: string;
  readonly message: string;
  readonly raisedMs: number;
  readonly updatedMs: number;
  readonly lastSeq: number;
  readonly acknowledgement: { by: string; atMs?: number; note: string | null } | null;
}

/** An alert event as the live stream sends it (the webhook body). */
export interface AlertEventJson {
  readonly alertId: string;
  readonly vin: string;
  readonly fleetId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly severity: string;
  readonly state: string;
  readonly message: string;
  readonly eventTimeMs: number;
  readonly episodeStartMs: number;
  readonly transitionSeq: number;
}

export interface RuleSummary {
  readonly ruleId: string;
  readonly currentVersion: number;
  readonly enabled: boolean;
  readonly name: string;
  readonly severity?: string;
}

export interface CatalogSignalJson {
  readonly id: number | null;
  readonly name: string;
  readonly qualifiedName: string;
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: 'little_endian' | 'big_endian';
  readonly isSigned: boolean;
  readonly scale: number;
  readonly offset: number;
  readonly minimum: number | null;
  readonly maximum: number | null;
  readonly unit: string;
  readonly choices: Record<string, string>;
  readonly comment: string | null;
  readonly staleAfterMs: number | null;
  readonly isMultiplexer: boolean;
  readonly multiplexed: boolean;
}

export interface CatalogMessageJson {
  readonly name: string;
  readonly frameId: number;
  readonly isExtended: boolean;
  readonly length: number;
  readonly cycleTimeMs: number | null;
  readonly senders: string[];
  readonly comment: string | null;
  readonly signals: CatalogSignalJson[];
}

export interface CatalogJson {
  readonly modelId: string;
  readonly displayName: string;
  readonly catalogVersion: string;
  readonly signalCount: number;
  readonly aliases: Record<string, string>;
  readonly buses: { index: number; name: string; bitrate: number; fd: boolean; messages: CatalogMessageJson[] }[];
}
