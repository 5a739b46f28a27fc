import { CliUsageError, type Command } from '../command.js';
import { useFixedOpsPort } from '../lib/ops-port.js';

/** Long-running services: each runs until SIGTERM/SIGINT, configured by environment variables (see its README). */
export const serviceCommands: readonly Command[] = [
  {
    path: ['gateway'],
    summary: 'Run the MQTT → Kafka gateway (device checks, dedupe, PUBACK after the Kafka write)',
    usage: `Usage: telltale gateway

Subscribes to the uplink topic with a shared subscription, checks each TelemetryBatch (topic VIN = payload VIN =
the registered device's VIN), drops (vin, seq) duplicates, writes to Kafka tbox.frames.v1 and only then acknowledges.
Rejects go to tbox.frames.dlq.v1 with their reason. Configuration: services/gateway/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runGateway } = await import('@telltale/gateway');
      useFixedOpsPort('gateway');
      await runGateway();
      return new Promise<number>(() => undefined); // runs until a signal ends the process
    },
  },
  {
    path: ['decoder'],
    summary: 'Run the decoder: tbox.frames.v1 → vehicle.signals.v1 with compiled per-model decoders, exactly once',
    usage: `Usage: telltale decoder

Consumes tbox.frames.v1, looks up each vehicle's model and catalog version in the registry, decodes every frame
with the model's compiled catalog (CATALOG_DIR) and writes SignalBatch records to vehicle.signals.v1 in Kafka
transactions together with the consumed offsets. Undecodable frames and batches go to vehicle.signals.dlq.v1.
Configuration: services/decoder/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runDecoder } = await import('@telltale/decoder');
      useFixedOpsPort('decoder');
      await runDecoder();
      return new Promise<number>(() => undefined);
    },
  },
  {
    path: ['store'],
    summary: 'Run the real-time store: latest value per (vin, signal) by event time and day-partitioned history',
    usage: `Usage: telltale store

Consumes vehicle.signals.v1, coalesces each poll to the newest event time per (vin, signal), and writes
PostgreSQL (latest values and history as blocks of 128 signals, merged in memory) before committing offsets.
Event times beyond MAX_FUTURE_MS are quarantined to vehicle.signals.dlq.v1. Configuration: services/store/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runStore } = await import('@telltale/store');
      useFixedOpsPort('store');
      await runStore();
      return new Promise<number>(() => undefined);
    },
  },
  {
    path: ['diagnostics'],
    summary: 'Run diagnostics: fault rules over vehicle.signals.v1 in event time, with timers → alerts',
    usage: `Usage: telltale diagnostics

Consumes vehicle.signals.v1 and evaluates the enabled fault rules (PostgreSQL, hot-reloaded on every edit) per
vehicle in event time; "for", "no update for" and clear delays fire on timers even when a vehicle goes silent.
Alert transitions (raised, escalated, de-escalated, cleared) are recorded in PostgreSQL and published to
vehicle.alerts.v1; vehicle state is checkpointed so a restart neither forgets nor repeats an alert.
Configuration: services/diagnostics/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runDiagnostics } = await import('@telltale/diagnostics');
      useFixedOpsPort('diagnostics');
      await runDiagnostics();
      return new Promise<number>(() => undefined);
    },
  },
  {
    path: ['notifier'],
    summary: 'Run the notifier: vehicle.alerts.v1 → signed webhooks (retried, dead-lettered) and Redis live streams',
    usage: `Usage: telltale notifier

Consumes vehicle.alerts.v1, matches each alert against the subscriptions in PostgreSQL (managed with
/v1/subscriptions), queues one webhook delivery per match in PostgreSQL before committing offsets, and sends them
signed (Telltale-Signature: t=<unix ms>,v1=<HMAC-SHA256 hex>) with exponential backoff and full jitter until
NOTIFIER_WEBHOOK_MAX_ATTEMPTS, then dead-letters them. Appends every alert to its fleet's Redis stream, which the
API serves as GET /v1/alerts/stream (SSE and WebSocket). Configuration: services/notifier/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runNotifier } = await import('@telltale/notifier');
      useFixedOpsPort('notifier');
      await runNotifier();
      return new Promise<number>(() => undefined);
    },
  },
  {
    path: ['features'],
    summary: 'Run features: event-time feature windows → vehicle.features.v1, Redis online store, fault model',
    usage: `Usage: telltale features

Consumes vehicle.signals.v1 and aggregates the active feature set of each vehicle's model (telltale features apply)
over event-time windows per vehicle; closed windows go to vehicle.features.v1 as FeatureVectors and to the Redis
online store, scored by the vehicle model's active fault model (ONNX Runtime; telltale model activate), whose
probability raises predictive alerts with hysteresis through the alert outbox. Window state is checkpointed with the
offsets, so a restart never counts a window twice. Configuration: services/features/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runFeatures } = await import('@telltale/features');
      await runFeatures();
      return new Promise<number>(() => undefined);
    },
  },
];
