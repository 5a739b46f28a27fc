/**
 * Wiring only: config → logger → PostgreSQL (migrations), registry view, catalogs, rules (hot reload) → Kafka
 * consumer of vehicle.signals.v1 → evaluator; timers, checkpoints and the outbox relay on intervals.
 */
import { startOpsServer, type Logger, bootService, runUntilSignalled, type RunningService } from '@telltale/platform';
import { CatalogLibrary } from '@telltale/catalog';
import { openServiceDatabase } from '@telltale/platform/db';
import {
  createKafkaClient,
  createReliableProducer,
  ensureTopics,
  platformTopicSpecs,
  startCommittingConsumer,
  topicName,
} from '@telltale/platform/kafka';
import { PgRegistry, RegistryCache } from '@telltale/registry';
import { compileRules, formatRuleProblem, type RuleCatalog } from '@telltale/rules';
import { RuleReloader } from '@telltale/rules/pg';
import { PgDiagnosticsStore } from './adapters/pg-diagnostics-store.js';
import { DiagnosticsConfig } from './config.js';
import { DiagnosticsEvaluator } from './evaluator.js';
import { diagnosticsMetrics } from './metrics.js';

export interface RunningDiagnostics extends RunningService {
  readonly evaluator: DiagnosticsEvaluator;
}

export async function startDiagnostics(source: NodeJS.ProcessEnv = process.env): Promise<RunningDiagnostics> {
  const { config, log, lifecycle } = bootService('diagnostics', DiagnosticsConfig, source);
  const metrics = diagnosticsMetrics(log);

  const pool = await openServiceDatabase(config, { service: 'diagnostics', max: 4, lifecycle, log });
  const vehicles = new RegistryCache(new PgRegistry(pool), log, config.registryRefreshMs);
  await vehicles.start();
  lifecycle.onShutdown('registry view', () => vehicles.stop());

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-diagnostics`,
    log,
  });
  const admin = kafka.admin();
  await admin.connect();
  lifecycle.onShutdown('kafka admin', () => admin.disconnect());
  await ensureTopics(admin, platformTopicSpecs(config, ['signals', 'signalsDlq', 'alerts']));
  const producer = createReliableProducer(kafka);
  await producer.connect();
  lifecycle.onShutdown('kafka producer', () => producer.disconnect());
  const alertsTopic = topicName('alerts', config.kafkaTopicPrefix);
  const dlqTopic = topicName('signalsDlq', config.kafkaTopicPrefix);
  const groupId =
    config.kafkaTopicPrefix === '-' ? config.consumerGroup : `${config.kafkaTopicPrefix}${config.consumerGroup}`;

  // The consumer is created below; offsets are committed through it after each checkpoint.
  let commit: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void> = () =>
    Promise.resolve();
  const evaluator = new DiagnosticsEvaluator({
    store: new PgDiagnosticsStore(pool),
    publish: async (messages) => void (await producer.send(alertsTopic, messages)),
    deadLetter: async (messages) => void (await producer.send(dlqTopic, messages)),
    commitOffsets: (offsets) => commit(offsets),
    highWatermark: async ({ topic, partition }) => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
    },
    partitionCount: async (topic) =>
      (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0,
    fleetOf: (vin) => vehicles.get(vin)?.fleetId,
    events: metrics.events,
    log,
    owner: config.instanceId,
    engine: { silenceGraceMs: config.silenceGraceMs, maxFutureMs: config.maxFutureMs },
  });

  const rules = new RuleCompiler(new CatalogLibrary(config.catalogDir, log), evaluator, log);
  const reloader = new RuleReloader({
    pool,
    log,
    checkIntervalMs: config.ruleCheckIntervalMs,
    onRules: (definitions, loaded) => rules.update(definitions, loaded.version),
  });
  await reloader.start();
  await rules.settled();
  lifecycle.onShutdown('rule reloader', () => reloader.stop());
  const catalogTimer = setInterval(() => void rules.rescanCatalogs(), config.ruleCheckIntervalMs);
  catalogTimer.unref();
  lifecycle.onShutdown('catalog rescan', () => clearInterval(catalogTimer));

  const republished = await evaluator.republish(0);
  if (republished > 0)
    log.info(
      { transitions: republished },
      'Published alert transitions a previous run had recorded but not published.',
    );

  const consumer = await startCommittingConsumer({
    kafka,
    groupId,
    topics: [topicName('signals', config.kafkaTopicPrefix)],
    fromBeginning: true,
    log,
    offsetCommit: 'in-handler', // committed after each checkpoint, never ahead of the persisted state
    onAssignment: (assignment) => evaluator.assign(assignment),
    consumerConfig: {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: Math.min(3000, config.kafkaSessionTimeoutMs / 3),
      maxWaitTimeInMs: 50,
    },
    handleBatch: (batch, context) => evaluator.handleBatch(batch.topic, batch.partition, batch.messages, context.lag),
  });
  commit = (offsets) => consumer.raw.commitOffsets(offsets);

  const every = (name: string, ms: number, work: () => Promise<unknown>): void => {
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
  every('timers', config.advanceIntervalMs, () => evaluator.tick());
  every('checkpoint', config.checkpointIntervalMs, () => evaluator.checkpoint());
  // Acknowledgements (recorded by the API) go out within a second; engine transitions only if a crash stranded them.
  every('outbox relay', config.relayIntervalMs, () => evaluator.republish(10_000));
  // Shutdown runs in reverse: a checkpoint with its offset commit while still a group member, leave the group
  // (waits for the batch in flight), then a last checkpoint of what that batch changed.
  lifecycle.onShutdown('last checkpoint', () => evaluator.drain({ commitOffsets: false }));
  lifecycle.onShutdown('kafka consumer', () => consumer.stop());
  lifecycle.onShutdown('checkpoint', () => evaluator.drain({ commitOffsets: true }));

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
  return { opsUrl: ops.url, lifecycle, evaluator, stop: () => lifecycle.shutdown('stop') };
}

/**
 * Compiles the enabled rules against the newest catalog of every model and swaps them into the engine; again when
 * a new model or catalog version appears. A rule with an error is left out (logged); the others run.
 */
class RuleCompiler {
  private definitions: readonly unknown[] = [];
  private catalogs: RuleCatalog[] = [];
  private catalogKey = '';
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly library: CatalogLibrary,
    private readonly evaluator: DiagnosticsEvaluator,
    private readonly log: Logger,
  ) {}

  update(definitions: readonly unknown[], version: number): void {
    this.definitions = definitions;
    void this.enqueue(async () => {
      if (this.catalogs.length === 0) await this.loadCatalogs();
      await this.apply(version);
    });
  }

  rescanCatalogs(): Promise<void> {
    return this.enqueue(async () => {
      if (await this.loadCatalogs()) await this.apply(undefined);
    });
  }

  settled(): Promise<void> {
    return this.pending;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending = this.pending
      .then(work)
      .catch((err: unknown) => this.log.error({ err }, 'Applying rules failed; the previous rules stay active.'));
    return this.pending;
  }

  /** True when the set of catalogs changed. */
  private async loadCatalogs(): Promise<boolean> {
    const compiled = await this.library.latestPerModel();
    const key = compiled
      .map((c) => `${c.catalog.modelId}@${c.catalog.catalogVersion}`)
      .sort()
      .join(',');
    if (key === this.catalogKey) return false;
    this.catalogKey = key;
    this.catalogs = compiled.map((c) => c.catalog);
    return true;
  }

  private async apply(version: number | undefined): Promise<void> {
    if (this.catalogs.length === 0) {
      // Without catalogs every rule would fail to compile and swapping in nothing would clear every active alert.
      this.log.error(
        { storeVersion: version },
        'No vehicle model catalog could be loaded (CATALOG_DIR); rules not applied, the previous ones stay active.',
      );
      return;
    }
    const { snapshot, problems } = compileRules(this.definitions, this.catalogs);
    for (const problem of problems) {
      const line = formatRuleProblem(problem);
      if (problem.severity === 'error')
        this.log.error({ code: problem.code, rule: problem.ruleId }, `Rule left out: ${line}`);
      else this.log.warn({ code: problem.code, rule: problem.ruleId }, line);
    }
    await this.evaluator.setRules(snapshot);
    this.log.info({ rules: this.definitions.length, storeVersion: version, models: this.catalogKey }, 'Rules active.');
  }
}

/** Entry point of `telltale diagnostics`: runs until SIGTERM/SIGINT. */
export function runDiagnostics(): Promise<void> {
  return runUntilSignalled(() => startDiagnostics());
}
