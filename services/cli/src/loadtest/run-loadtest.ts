/**
 * The load test's one loop: for each step, run the simulated fleet at that size, send probes through the pipeline
 * while it runs, and measure the window after the warm-up (stage counters from each service's /metrics, topic
 * offsets and consumer lag from Kafka, probe latencies, CPU and memory); judge the step; stop at the first step
 * that does not hold (unless told to go on) or when the time bound is reached; drain; count the totals.
 */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import type { Logger } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import type { DeviceIdentity, FleetProgress, FleetSummary, SimModel } from '@telltale/simulator';
import { runFleet } from '@telltale/simulator';
import { clockSeqStart } from '../all-in-one/simulated-fleet.js';
import type { KafkaOffsets, WatchedGroup } from './adapters/kafka-offsets.js';
import { scrapeAll, type Scrape } from './adapters/ops-scraper.js';
import type { Probe, ProbeSent, ProbeTimes } from './adapters/probe.js';
import { attribution, counterDelta, processGroups, processUsage, stageRates } from './domain/measure.js';
import { offeredFramesPerS, type LoadPlan } from './domain/plan.js';
import type { LoadTestReport, StepResult, TimelinePoint } from './domain/report.js';
import { ratePerS, summarise } from './domain/stats.js';
import { highestHeld, judgeStep, lagTrend } from './domain/verdict.js';
import { progressLine } from './domain/summary.js';

export interface LoadTestTarget {
  readonly description: string;
  readonly mqttUrl: string;
  /** MQTT topic prefix of the uplink ("" or "<instance>/"). */
  readonly uplinkTopicPrefix: string;
  readonly kafkaBrokers: readonly string[];
  readonly topicPrefix: string;
  readonly topics: { readonly frames: string; readonly signals: string; readonly alerts: string };
  readonly databaseSchema: string;
  readonly ops: Readonly<Record<string, string>>;
  /** Consumer groups that may be running (those without members are left out). */
  readonly groups: readonly WatchedGroup[];
}

export interface LoadTestRun {
  readonly plan: LoadPlan;
  readonly target: LoadTestTarget;
  readonly model: SimModel;
  readonly identities: readonly DeviceIdentity[];
  readonly probe: Probe;
  readonly offsets: KafkaOffsets;
  readonly pool: Pool;
  readonly partitions: number;
  readonly runName: string;
  readonly command: string;
  /** Epoch ms by which everything, the drain included, must be done (read again and again: Ctrl-C moves it). */
  readonly deadlineMs: number;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly log: Logger;
  /** Progress line (replaces the previous one on a terminal). */
  readonly progress: (line: string) => void;
  /** A line to keep (a step's outcome). */
  readonly say: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

interface ProbeRecord {
  readonly sent: ProbeSent;
  readonly storedMs: number | undefined;
  readonly measured: boolean;
}

export async function runLoadTest(run: LoadTestRun): Promise<LoadTestReport> {
  const { plan, target, offsets } = run;
  const startedAt = new Date();
  const uptimeBefore = uptime();
  const topicList = [target.topics.frames, target.topics.signals, target.topics.alerts];
  const totals0 = await offsets.topicTotals(topicList);
  const scrape0 = await scrapeAll(target.ops);
  const groups = await offsets.liveGroups(target.groups);
  const timeline: TimelinePoint[] = [];
  const t0 = Date.now();
  let currentVehicles = 0;
  /** Lag samples of the step's measured window, per group. */
  let window: Map<string, [number, number][]> | undefined;
  let windowStartMs = 0;
  let lastLag: Record<string, number> = {};

  const sampleLag = async (): Promise<Record<string, number>> => {
    const ends = new Map<string, Map<number, number>>();
    await Promise.all(
      [...new Set(groups.map((g) => g.topic))].map(async (t) => ends.set(t, await offsets.endOffsets(t))),
    );
    return offsets.lag(groups, ends);
  };
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    sampleLag()
      .then((lag) => {
        const now = Date.now();
        lastLag = lag;
        timeline.push({ t: (now - t0) / 1000, vehicles: currentVehicles, lag });
        const at = (now - windowStartMs) / 1000;
        if (window) for (const [group, value] of Object.entries(lag)) window.get(group)?.push([at, value]);
      })
      .catch((err: unknown) => run.log.warn({ err }, 'Reading consumer lag failed.'))
      .finally(() => (sampling = false));
  }, 1000);

  const steps: StepResult[] = [];
  const plannedS = plan.steps.length * plan.stepSeconds;
  let lastStoredMs: number | null = null;
  let probesPublished = 0;
  let batchesAcked = 0;
  let framesAcked = 0;
  try {
    for (const [index, vehicles] of plan.steps.entries()) {
      if (Date.now() + plan.stepSeconds * 1000 > run.deadlineMs) {
        run.say(`Step ${index + 1} (${vehicles} vehicles) not run: --max-seconds reached.`);
        break;
      }
      currentVehicles = vehicles;
      const controller = new AbortController();
      const hardStop = new AbortController();
      let progress: FleetProgress | undefined;
      let connected: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (connected = resolve));
      const fleet: Promise<FleetSummary> = runFleet({
        model: run.model,
        identities: run.identities.slice(0, vehicles),
        seed: 'loadtest',
        rateHz: plan.rateHz,
        durationS: Infinity,
        mqttUrl: target.mqttUrl,
        topicPrefix: target.uplinkTopicPrefix,
        anonymous: true,
        faults: new Map(),
        faultAfterS: 0,
        outages: [],
        outboxLimit: 120,
        maxInflight: 8,
        seqStart: clockSeqStart(),
        firmwareVersion: 'telltale-loadtest',
        clientIdPrefix: `${run.runName}-`,
        drainTimeoutMs: 3000,
        log: run.log,
        signal: controller.signal,
        hardStop: hardStop.signal,
        onProgress: (p) => (progress = p),
        onReady: () => connected(),
      });
      fleet.catch(() => connected());
      await ready;
      const stepStartMs = Date.now();
      const measureFromMs = stepStartMs + plan.warmupSeconds * 1000;
      const stepEndMs = Math.min(stepStartMs + plan.stepSeconds * 1000, run.deadlineMs - 5000);
      const records: ProbeRecord[] = [];
      let before: { scrape: Scrape; totals: Record<string, number>; at: number; cpu: NodeJS.CpuUsage } | undefined;
      while (Date.now() < Math.min(stepEndMs, run.deadlineMs)) {
        if (!before && Date.now() >= measureFromMs) {
          before = {
            scrape: await scrapeAll(target.ops),
            totals: await offsets.topicTotals(topicList),
            at: Date.now(),
            cpu: process.cpuUsage(),
          };
          windowStartMs = before.at;
          window = new Map(groups.map((g) => [g.group, []]));
        }
        const sent = await run.probe.publish();
        probesPublished += 1;
        const storedMs = await run.probe.waitStored(sent, run.probeTimeoutMs);
        if (storedMs !== undefined) lastStoredMs = storedMs - sent.sentMs;
        records.push({ sent, storedMs, measured: before !== undefined });
        run.progress(
          progressLine({
            elapsedS: index * plan.stepSeconds + (Date.now() - stepStartMs) / 1000,
            totalS: plannedS,
            step: index + 1,
            steps: plan.steps.length,
            vehicles,
            framesPerS: progress?.framesPerS ?? 0,
            probes: records.length,
            lastStoredMs,
          }),
        );
        await sleep(Math.min(run.probeIntervalMs, stepEndMs - Date.now()));
      }
      const cut = Date.now() < stepStartMs + plan.stepSeconds * 1000 - 1000;
      const afterAt = Date.now();
      const after = {
        scrape: await scrapeAll(target.ops),
        totals: await offsets.topicTotals(topicList),
        cpu: process.cpuUsage(),
      };
      const lagWindow = window ?? new Map<string, [number, number][]>();
      window = undefined;
      controller.abort();
      const timer = setTimeout(() => hardStop.abort(), 5000);
      const summary = await fleet.finally(() => clearTimeout(timer));
      batchesAcked += summary.batchesAcked;
      framesAcked += summary.framesAcked;
      // Stragglers: a probe's decoded record or alert may still be on its way.
      await sleep(Math.min(1500, Math.max(0, run.deadlineMs - Date.now())));

      const measured = records.filter((r) => r.measured);
      const latencies = (pick: (t: ProbeTimes) => number | undefined) => {
        const values: number[] = [];
        let missing = 0;
        for (const r of measured) {
          const at = pick(run.probe.times(r.sent, r.storedMs));
          if (at === undefined) missing += 1;
          else values.push(at - r.sent.sentMs);
        }
        return summarise(values, missing);
      };
      const b = before ?? { scrape: after.scrape, totals: after.totals, at: afterAt, cpu: after.cpu };
      const seconds = Math.max(0.001, (afterAt - b.at) / 1000);
      const topicRates = topicList.map((topic) => ({
        topic,
        recordsPerS: ratePerS(b.totals[topic], after.totals[topic], b.at, afterAt),
      }));
      const lag = groups.map((g) =>
        lagTrend({
          group: g.group,
          topic: g.topic,
          samples: lagWindow.get(g.group) ?? [],
          inputPerS: topicRates.find((t) => t.topic === g.topic)?.recordsPerS ?? 0,
          allowance: ARCHIVE_GROUP.test(g.group)
            ? (topicRates.find((t) => t.topic === g.topic)?.recordsPerS ?? 0) * archiveFlushSeconds()
            : 0,
        }),
      );
      const stored = latencies((t) => t.storedMs);
      const cpuUs = after.cpu.user + after.cpu.system - (b.cpu.user + b.cpu.system);
      const step: StepResult = {
        vehicles,
        offeredFramesPerS: offeredFramesPerS(vehicles, run.model.framesPerSecond),
        measuredSeconds: Math.round(seconds * 10) / 10,
        cut,
        simulator: {
          batchesAcked: summary.batchesAcked,
          framesAcked: summary.framesAcked,
          framesPerS: summary.seconds > 0 ? summary.framesAcked / summary.seconds : 0,
          unacked: summary.unacked,
          dropped: summary.dropped,
          publishAckP99Ms: Number.isFinite(summary.latencyMs.p99) ? summary.latencyMs.p99 : null,
        },
        stages: stageRates(b.scrape, after.scrape, b.at, afterAt),
        topics: topicRates,
        lag,
        latency: { decoded: latencies((t) => t.decodedMs), stored, alert: latencies((t) => t.alertMs) },
        processes: processUsage(processGroups(after.scrape), b.scrape, after.scrape, b.at, afterAt),
        loadGenerator: {
          cpuPercent: Math.round(cpuUs / 1e4 / seconds) / 1,
          rssMiB: Math.round(process.memoryUsage().rss / 1048576),
        },
        verdict: judgeStep({ stored, lag, budgetMs: plan.budgetMs, cut }),
      };
      steps.push(step);
      run.say(
        `Step ${index + 1}/${plan.steps.length}: ${vehicles} vehicles, ` +
          `publish → stored p50/p99 ${stored.p50 ?? '—'}/${stored.p99 ?? '—'} ms: ` +
          (step.verdict.held ? 'held.' : `did not hold (${step.verdict.reasons.join('; ')}).`),
      );
      if (!step.verdict.held && !plan.continueAfterFailure) break;
    }

    // Drain: the totals are compared with Kafka and PostgreSQL, so let every group catch up (bounded).
    const drainUntil = Math.min(run.deadlineMs, Date.now() + 60_000);
    let drained = false;
    while (Date.now() < drainUntil) {
      const lag = await sampleLag();
      lastLag = lag;
      if (Object.values(lag).every((l) => l <= 2 * run.partitions)) {
        drained = true;
        break;
      }
      run.progress(`Draining: ${JSON.stringify(lag)}`);
      await sleep(1000);
    }
    await sleep(1000); // the store's last flush and the decoder's last transaction
    const scrapeEnd = await scrapeAll(target.ops);
    const totalsEnd = await offsets.topicTotals(topicList);
    const topicRecords: Record<string, number> = {};
    for (const t of topicList) topicRecords[t] = (totalsEnd[t] ?? 0) - (totals0[t] ?? 0);
    const vins = [...run.identities.map((i) => i.vin)];
    const { rows } = await run.pool.query<{ n: string }>(
      'SELECT count(DISTINCT vin) AS n FROM signal_latest WHERE vin = ANY($1) AND receive_time_ms >= $2',
      [vins, t0],
    );
    const best = highestHeld(steps);
    const finishedAt = new Date();
    run.log.debug({ lastLag }, 'Load test finished.');
    const cpuInfo = cpus();
    return {
      format: 'telltale-loadtest/1',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      command: run.command,
      machine: {
        hostname: hostname(),
        cpus: cpuInfo.length,
        cpuModel: cpuInfo[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        uptimeBefore,
        uptimeAfter: uptime(),
        node: process.version,
      },
      target: {
        description: target.description,
        mqttUrl: target.mqttUrl,
        kafkaBrokers: target.kafkaBrokers,
        topicPrefix: target.topicPrefix,
        databaseSchema: target.databaseSchema,
        ops: target.ops,
        attribution: attribution(processGroups(scrapeEnd)),
      },
      plan: { ...plan, modelFramesPerS: run.model.framesPerSecond, probeIntervalMs: run.probeIntervalMs },
      steps,
      highest: best ? { vehicles: best.vehicles, framesPerS: best.offeredFramesPerS } : null,
      totals: {
        batchesAcked,
        framesAcked,
        probesPublished,
        topicRecords,
        gatewayBatchesAccepted: counterDelta(scrape0, scrapeEnd, 'gateway', 'telltale_gateway_batches_total', {
          outcome: 'accepted',
        }),
        decoderSignals: counterDelta(scrape0, scrapeEnd, 'decoder', 'telltale_decoder_signals_total'),
        storeLatestRowsOffered: counterDelta(scrape0, scrapeEnd, 'store', 'telltale_store_latest_rows_total'),
        storeHistoryRowsOffered: counterDelta(scrape0, scrapeEnd, 'store', 'telltale_store_history_rows_total'),
        vehiclesStored: Number(rows[0]?.n ?? 0),
        drained,
      },
      timeline,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The archive's consumer group: it commits offsets only after a flush (ARCHIVE_FLUSH_INTERVAL_MS, default 60 s). */
const ARCHIVE_GROUP = /telltale-archive$/;

function archiveFlushSeconds(): number {
  const ms = Number(process.env.ARCHIVE_FLUSH_INTERVAL_MS?.trim() || 60_000);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 60;
}
