/**
 * The report as one self-contained HTML page: inline CSS and inline SVG charts, no script, nothing fetched, so it
 * can be committed, mailed or opened from a file. The JSON it is rendered from is embedded at the end.
 */
import type { LoadTestReport, StepResult } from './report.js';
import { ms } from './summary.js';
import { escapeXml as esc, formatNumber, renderLineChart, type Series } from './svg-chart.js';

const stageNames = (report: LoadTestReport): string[] => [
  ...new Set(report.steps.flatMap((s) => s.stages.map((x) => x.stage))),
];

const isFrames = (stage: string): boolean => stage.endsWith('frames') || stage.endsWith('frames in');

function stageSeries(report: LoadTestReport, stages: readonly string[]): Series[] {
  return stages.map((stage) => ({
    name: stage,
    points: report.steps.map((s): [number, number | null] => [
      s.vehicles,
      s.stages.find((x) => x.stage === stage)?.perS ?? null,
    ]),
  }));
}

function latencySeries(report: LoadTestReport): Series[] {
  const kinds = [
    ['decoded', (s: StepResult) => s.latency.decoded],
    ['stored', (s: StepResult) => s.latency.stored],
    ['alert', (s: StepResult) => s.latency.alert],
  ] as const;
  return kinds.flatMap(([name, pick]) => [
    { name: `${name} p50`, points: report.steps.map((s): [number, number | null] => [s.vehicles, pick(s).p50]) },
    { name: `${name} p99`, points: report.steps.map((s): [number, number | null] => [s.vehicles, pick(s).p99]) },
  ]);
}

function lagSeries(report: LoadTestReport): Series[] {
  const groups = [...new Set(report.timeline.flatMap((p) => Object.keys(p.lag)))];
  const prefix = report.target.topicPrefix === '-' ? '' : report.target.topicPrefix;
  return groups.map((group) => ({
    name: group.startsWith(prefix) ? group.slice(prefix.length) : group,
    points: report.timeline.map((p): [number, number | null] => [p.t, p.lag[group] ?? null]),
  }));
}

function processSeries(report: LoadTestReport, pick: 'cpuPercent' | 'rssMiB'): Series[] {
  const names = [...new Set(report.steps.flatMap((s) => s.processes.map((p) => p.services.join('+'))))];
  const series: Series[] = names.map((name) => ({
    name,
    points: report.steps.map((s): [number, number | null] => [
      s.vehicles,
      s.processes.find((p) => p.services.join('+') === name)?.[pick] ?? null,
    ]),
  }));
  series.push({
    name: 'load generator',
    points: report.steps.map((s): [number, number | null] => [s.vehicles, s.loadGenerator[pick]]),
  });
  return series;
}

const num = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : formatNumber(n));

function stepTable(report: LoadTestReport): string {
  const stages = stageNames(report);
  const head = ['vehicles', 'offered frames/s', ...stages.map((s) => `${s} /s`), 'decoded p50/p99 ms'];
  head.push('stored p50/p99 ms', 'alert p50/p99 ms', 'max lag', 'held');
  const rows = report.steps.map((s) =>
    [
      String(s.vehicles),
      num(s.offeredFramesPerS),
      ...stages.map((stage) => num(s.stages.find((x) => x.stage === stage)?.perS)),
      ms(s.latency.decoded),
      ms(s.latency.stored),
      ms(s.latency.alert),
      num(Math.max(0, ...s.lag.map((l) => l.maxLag))),
      s.verdict.held ? '✔ yes' : `✘ ${s.verdict.reasons.join('; ')}`,
    ].map((c) => `<td>${esc(c)}</td>`),
  );
  return table(head, rows);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return (
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

function lagTable(report: LoadTestReport): string {
  const rows = report.steps.flatMap((s) =>
    s.lag.map((l) =>
      [
        String(s.vehicles),
        l.group,
        l.topic,
        String(l.startLag),
        String(l.endLag),
        String(l.maxLag),
        l.slopePerS.toFixed(1),
        l.growing ? 'growing' : 'steady',
      ].map((c) => `<td>${esc(c)}</td>`),
    ),
  );
  return table(['vehicles', 'group', 'topic', 'lag at start', 'at end', 'max', 'trend records/s', ''], rows);
}

function processTable(report: LoadTestReport): string {
  const rows = report.steps.flatMap((s) => [
    ...s.processes.map((p) =>
      [String(s.vehicles), p.services.join(', '), num(p.cpuPercent), num(p.rssMiB)].map((c) => `<td>${esc(c)}</td>`),
    ),
    [String(s.vehicles), 'load generator (simulator, probe)', num(s.loadGenerator.cpuPercent)]
      .concat(num(s.loadGenerator.rssMiB))
      .map((c) => `<td>${esc(c)}</td>`),
  ]);
  return table(['vehicles', 'process (services)', 'CPU % of one core', 'RSS MiB'], rows);
}

export function renderHtml(report: LoadTestReport): string {
  const highest = report.highest
    ? `<strong>${report.highest.vehicles} × ${esc(report.plan.modelId)}</strong> = ` +
      `<strong>${formatNumber(report.highest.framesPerS)} frames/s</strong>`
    : '<strong>none of the steps</strong>';
  const budget = { y: report.plan.budgetMs, label: `budget ${report.plan.budgetMs} ms (stored p99)` };
  const charts = [
    renderLineChart({
      title: 'Frames per second by stage',
      xLabel: 'simulated vehicles',
      yLabel: 'frames/s',
      series: [
        { name: 'offered', points: report.steps.map((s): [number, number] => [s.vehicles, s.offeredFramesPerS]) },
        {
          name: 'simulator acked',
          points: report.steps.map((s): [number, number] => [s.vehicles, s.simulator.framesPerS]),
        },
        ...stageSeries(report, stageNames(report).filter(isFrames)),
      ],
    }),
    renderLineChart({
      title: 'Signals per second by stage',
      xLabel: 'simulated vehicles',
      yLabel: 'signals/s',
      series: stageSeries(
        report,
        stageNames(report).filter((s) => !isFrames(s) && !s.endsWith('batches')),
      ),
    }),
    renderLineChart({
      title: 'End-to-end latency of the probe vehicle',
      xLabel: 'simulated vehicles',
      yLabel: 'ms after the MQTT publish',
      series: latencySeries(report),
      limit: budget,
    }),
    renderLineChart({
      title: 'Consumer lag over the run',
      xLabel: 'seconds since the first step',
      yLabel: 'records behind',
      series: lagSeries(report),
    }),
    renderLineChart({
      title: 'CPU by process',
      xLabel: 'simulated vehicles',
      yLabel: '% of one core',
      series: processSeries(report, 'cpuPercent'),
    }),
    renderLineChart({
      title: 'Resident memory by process',
      xLabel: 'simulated vehicles',
      yLabel: 'MiB',
      series: processSeries(report, 'rssMiB'),
    }),
  ];
  const m = report.machine;
  const json = JSON.stringify(report, null, 1).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Telltale load test ${esc(report.startedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1320px;padding:0 1rem;color:#111827}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #d1d5db;padding:.25rem .5rem;
text-align:right}th{background:#f3f4f6}td:last-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1rem}
.charts svg{border:1px solid #e5e7eb;background:#fff}code,pre{background:#f3f4f6;padding:.1rem .3rem}
pre{padding:.5rem;overflow-x:auto}.note{color:#4b5563;font-size:.9rem}
</style></head><body>
<h1>Telltale load test</h1>
<p>Highest rate held: ${highest} (publish → stored p99 ≤ ${report.plan.budgetMs} ms and no consumer group
falling behind). ${report.steps.length} steps of ${report.plan.stepSeconds} s (first ${report.plan.warmupSeconds} s
of each not measured), ${esc(report.plan.modelId)} at ${formatNumber(report.plan.modelFramesPerS)} frames/s per
vehicle, ${report.plan.rateHz} batch(es) per vehicle per second.</p>
<p class="note">Target: ${esc(report.target.description)}; MQTT ${esc(report.target.mqttUrl)}, Kafka
${esc(report.target.kafkaBrokers.join(','))}, topic prefix <code>${esc(report.target.topicPrefix)}</code>, schema
<code>${esc(report.target.databaseSchema)}</code>. ${esc(report.target.attribution)}</p>
<p class="note">Machine: ${esc(m.hostname)}, ${m.cpus} × ${esc(m.cpuModel)}, ${m.memoryGiB} GiB, Node ${esc(m.node)}.
The load generator runs on the same machine. <code>uptime</code> before: <code>${esc(m.uptimeBefore.trim())}</code>;
after: <code>${esc(m.uptimeAfter.trim())}</code>. Started ${esc(report.startedAt)},
${Math.round(report.durationS)} s.</p>
<p class="note">Reproduce: <code>${esc(report.command)}</code></p>
<h2>Steps</h2>
${stepTable(report)}
<p class="note">Latencies come from a probe vehicle that publishes one frame every ~${report.plan.probeIntervalMs} ms
beside the simulated fleet and waits for it: decoded = its record is readable on the signals topic (read-committed);
stored = the row's commit time in PostgreSQL (<code>signal_latest.write_time_ms</code>); alert = a transition of a
probe rule (speed &gt; 100 km/h raises, &lt; 50 clears) readable on the alerts topic. "lost" probes did not arrive
within the probe timeout and fail the step.</p>
<div class="charts">
${charts.join('\n')}
</div>
<h2>Consumer lag</h2>
${lagTable(report)}
<h2>CPU and memory</h2>
${processTable(report)}
<h2>Totals after the drain</h2>
<pre>${esc(JSON.stringify(report.totals, null, 2))}</pre>
<script type="application/json" id="report">${json}</script>
</body></html>
`;
}
