/**
 * The load-test report as data (what `--out <dir>/loadtest.json` holds); the HTML page and the printed summary are
 * rendered from it, so the three never disagree.
 */
import type { LoadPlan } from './plan.js';
import type { LatencySummary } from './stats.js';
import type { LagTrend, StepVerdict } from './verdict.js';

export interface StageRate {
  readonly stage: string;
  readonly service: string;
  readonly unit: string;
  /** null: the service's /metrics did not answer. */
  readonly perS: number | null;
}

export interface ProcessUsage {
  /** The services this process runs (several in all-in-one mode). */
  readonly services: readonly string[];
  readonly cpuPercent: number | null;
  readonly rssMiB: number | null;
}

export interface StepResult {
  readonly vehicles: number;
  readonly offeredFramesPerS: number;
  /** Seconds measured (after the warm-up). */
  readonly measuredSeconds: number;
  readonly cut: boolean;
  readonly simulator: {
    readonly batchesAcked: number;
    readonly framesAcked: number;
    readonly framesPerS: number;
    /** Batches still queued in the simulated T-Boxes when the step ended (the gateway did not keep up). */
    readonly unacked: number;
    readonly dropped: number;
    readonly publishAckP99Ms: number | null;
  };
  readonly stages: readonly StageRate[];
  readonly topics: readonly { readonly topic: string; readonly recordsPerS: number | null }[];
  readonly lag: readonly LagTrend[];
  readonly latency: {
    readonly decoded: LatencySummary;
    readonly stored: LatencySummary;
    readonly alert: LatencySummary;
  };
  readonly processes: readonly ProcessUsage[];
  /** The load generator itself (simulator + probes + measurement), on the same machine. */
  readonly loadGenerator: { readonly cpuPercent: number; readonly rssMiB: number };
  readonly verdict: StepVerdict;
}

export interface TimelinePoint {
  /** Seconds since the first step started. */
  readonly t: number;
  readonly vehicles: number;
  readonly lag: Readonly<Record<string, number>>;
}

export interface LoadTestReport {
  readonly format: 'telltale-loadtest/1';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationS: number;
  readonly command: string;
  readonly machine: {
    readonly hostname: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    /** `uptime` before the first and after the last step (the machine may be shared: read the figures with it). */
    readonly uptimeBefore: string;
    readonly uptimeAfter: string;
    readonly node: string;
  };
  readonly target: {
    readonly description: string;
    readonly mqttUrl: string;
    readonly kafkaBrokers: readonly string[];
    readonly topicPrefix: string;
    readonly databaseSchema: string;
    readonly ops: Readonly<Record<string, string>>;
    /** How CPU and memory are attributed to services. */
    readonly attribution: string;
  };
  readonly plan: LoadPlan & { readonly modelFramesPerS: number; readonly probeIntervalMs: number };
  readonly steps: readonly StepResult[];
  readonly highest: { readonly vehicles: number; readonly framesPerS: number } | null;
  /**
   * Counts over the whole run, taken after the pipeline drained: what the simulator and the probe had acknowledged,
   * what the topics received (end-offset deltas) and what the services counted. The integration test checks them
   * against Kafka's offsets and PostgreSQL's rows.
   */
  readonly totals: {
    readonly batchesAcked: number;
    readonly framesAcked: number;
    readonly probesPublished: number;
    readonly topicRecords: Readonly<Record<string, number>>;
    readonly gatewayBatchesAccepted: number | null;
    readonly decoderSignals: number | null;
    readonly storeLatestRowsOffered: number | null;
    /** Samples the store offered to history (one per signal and HISTORY_RESOLUTION_MS bucket; stored as blocks). */
    readonly storeHistoryRowsOffered: number | null;
    /** Vehicles of this run with at least one row in signal_latest. */
    readonly vehiclesStored: number;
    readonly drained: boolean;
  };
  readonly timeline: readonly TimelinePoint[];
}
