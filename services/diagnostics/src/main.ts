/**
 * Wiring only: config → logger → PostgreSQL (migrations), registry view, catalogs → pipeline (its ports on
 * PostgreSQL and Kafka) → rules (hot reload) → consumer of vehicle.signals.v1; timers, checkpoints and the outbox
 * relay on intervals; shutdown in reverse.
 */
import type { Admin, Kafka } from 'kafkajs';
import {
  startOpsServer,
  bootService,
  runUntilSignalled,
  type ConfigOf,
  type Lifecycle,
  type Logger,
  type RunningService,
} from '@telltale/platform';
import { CatalogLibrary } from '@telltale/catalog';
import { openServiceDatabase, type Pool } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  topicName,
  type ReliableProducer,
} from '@telltale/platform/kafka';
import { PgRegistry, RegistryCache } from '@telltale/registry';
import { RuleReloader } from '@telltale/rules/pg';
import { KafkaAlertPublisher } from './adapters/kafka-alert-publisher.js';
import { KafkaDeadLetters } from './adapters/kafka-dead-letters.js';
import { startSignalConsumer } from './adapters/kafka-signal-consumer.js';
import { KafkaTopicOffsets } from './adapters/kafka-topic-offsets.js';
import { PgAlertOutbox } from './adapters/pg-alert-outbox.js';
import { PgPartitionState } from './adapters/pg-partition-state.js';
import { PgShadowTransitions } from './adapters/pg-shadow-transitions.js';
import { DiagnosticsConfig } from './config.js';
import { diagnosticsMetrics } from './metrics.js';
import { DiagnosticsPipeline } from './pipeline/diagnostics-pipeline.js';
import type { OffsetCommit } from './pipeline/records.js';
import { RuleActivator } from './pipeline/rule-activator.js';

export interface RunningDiagnostics extends RunningService {
  readonly pipeline: DiagnosticsPipeline;
}

type Config = ConfigOf<typeof DiagnosticsConfig>;

export async function startDiagnostics(source: NodeJS.ProcessEnv = process.env): Promise<RunningDiagnostics> {
  const { config, log, lifecycle } = bootService('diagnostics', DiagnosticsConfig, source);
  const metrics = diagnosticsMetrics(log);

  const pool = await openServiceDatabase(config, { service: 'diagnostics', max: 4, lifecycle, log });
  const vehicles = new RegistryCache(new PgRegistry(pool), log, config.registryRefreshMs);
  await vehicles.start();
  lifecycle.onShutdown('registry view', () => vehicles.stop());
  const { kafka, admin, producer } = await connectKafka(config, log, lifecycle);
  const prefix = config.kafkaTopicPrefix;
  const groupId = prefix === '-' ? config.consumerGroup : `${prefix}${config.consumerGroup}`;

  // The consumer is started below; offsets are committed through it after each checkpoint.
  let commit: (offsets: OffsetCommit[]) => Promise<void> = () => Promise.resolve();
  const pipeline = new DiagnosticsPipeline({
    partitionState: new PgPartitionState(pool),
    transitionStore: new PgAlertOutbox(pool),
    shadowStore: new PgShadowTransitions(pool),
    topics: new KafkaTopicOffsets(admin),
    publisher: new KafkaAlertPublisher(producer, topicName('alerts', prefix)),
    deadLetters: new KafkaDeadLetters(producer, topicName('signalsDlq', prefix)),
    commitOffsets: (offsets) => commit(offsets),
    fleetOf: (vin) => vehicles.get(vin)?.fleetId,
    events: metrics.events,
    log,
    owner: config.instanceId,
    engine: { silenceGraceMs: config.silenceGraceMs, maxFutureMs: config.maxFutureMs, measureRules: true },
    // A quiet partition's clock runs at most the silence grace past its newest arrival: its vehicles stay put.
    timerClock: { idleHoldMs: config.idleHoldMs, heldMarginMs: config.silenceGraceMs },
  });
  const reloader = await startRuleReload(config, pool, pipeline, log, lifecycle);

  const republished = await pipeline.outbox.republish(0);
  if (republished > 0)
    log.info(
      { transitions: republished },
      'Published alert transitions a previous run had recorded but not published.',
    );

  const consumer = await startSignalConsumer({
    metrics: metrics.registry,
    kafka,
    groupId,
    topic: topicName('signals', prefix),
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    log,
    onAssignment: (assignment) => pipeline.assign(assignment),
    handleBatch: (batch) => pipeline.evaluator.handleBatch(batch),
  });
  commit = (offsets) => consumer.commitOffsets(offsets);

  const every = repeater(log, lifecycle);
  every('timers', config.advanceIntervalMs, () => pipeline.evaluator.tick());
  every('checkpoint', config.checkpointIntervalMs, () => pipeline.checkpoints.checkpoint());
  // Acknowledgements (recorded by the API) go out within a second; engine transitions only if a crash stranded them.
  every('outbox relay', config.relayIntervalMs, () => pipeline.outbox.republish(10_000));
  // Shutdown runs in reverse: a checkpoint with its offset commit while still a group member, leave the group
  // (waits for the batch in flight), then a last checkpoint of what that batch changed.
  lifecycle.onShutdown('last checkpoint', () => pipeline.drain({ commitOffsets: false }));
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());
  lifecycle.onShutdown('checkpoint', () => pipeline.drain({ commitOffsets: true }));

  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost,
    port: config.opsPort,
    checks: [
      { name: 'postgres', check: async () => (await pool.query('SELECT 1')).rowCount === 1 },
      { name: 'rules', check: () => reloader.lastLoadedVersion !== undefined },
    ],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  log.info({ ops: ops.url, group: groupId, instance: config.instanceId }, 'Diagnostics started.');
  return { opsUrl: ops.url, lifecycle, pipeline, stop: () => lifecycle.shutdown('stop') };
}

async function connectKafka(
  config: Config,
  log: Logger,
  lifecycle: Lifecycle,
): Promise<{ kafka: Kafka; admin: Admin; producer: ReliableProducer }> {
  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-diagnostics`,
    log,
    security: config,
  });
  const admin = kafka.admin();
  await admin.connect();
  lifecycle.onShutdown('kafka admin', () => admin.disconnect());
  await ensureTopics(admin, platformTopicSpecs(config, ['signals', 'signalsDlq', 'alerts']));
  const producer = createReliableProducer(kafka);
  await producer.connect();
  lifecycle.onShutdown('kafka producer', () => producer.disconnect());
  return { kafka, admin, producer };
}

/** Rules from PostgreSQL, hot-reloaded, compiled against the catalogs (rescanned) into the pipeline. */
async function startRuleReload(
  config: Config,
  pool: Pool,
  pipeline: DiagnosticsPipeline,
  log: Logger,
  lifecycle: Lifecycle,
): Promise<RuleReloader> {
  const rules = new RuleActivator(new CatalogLibrary(config.catalogDir, log), pipeline.evaluator, log);
  const reloader = new RuleReloader({
    pool,
    log,
    checkIntervalMs: config.ruleCheckIntervalMs,
    onRules: (definitions, loaded) => rules.update(definitions, loaded.version, loaded.shadows),
  });
  await reloader.start();
  await rules.settled();
  lifecycle.onShutdown('rule reloader', () => reloader.stop());
  const catalogTimer = setInterval(() => void rules.rescanCatalogs(), config.ruleCheckIntervalMs);
  catalogTimer.unref();
  lifecycle.onShutdown('catalog rescan', () => clearInterval(catalogTimer));
  return reloader;
}

/** Runs `work` every `ms`, skipping a beat while the previous run is still going; stopped at shutdown. */
function repeater(log: Logger, lifecycle: Lifecycle): (name: string, ms: number, work: () => Promise<unknown>) => void {
  return (name, ms, work) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((err: unknown) => log.warn({ err }, `${name} failed; will retry.`))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    lifecycle.onShutdown(name, () => clearInterval(timer));
  };
}

/** Entry point of `telltale diagnostics`: runs until SIGTERM/SIGINT. */
export function runDiagnostics(): Promise<void> {
  return runUntilSignalled(() => startDiagnostics());
}
