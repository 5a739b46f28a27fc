import { describe, expect, it } from 'vitest';
import type { LoadTestReport, StepResult } from './report.js';
import { renderHtml } from './report-html.js';
import { summarise } from './stats.js';
import { progressLine, summaryText } from './summary.js';
import { niceStep, renderLineChart } from './svg-chart.js';

const step = (vehicles: number, storedP99: number, held: boolean): StepResult => ({
  vehicles,
  offeredFramesPerS: vehicles * 5425,
  measuredSeconds: 20,
  cut: false,
  simulator: { batchesAcked: 20, framesAcked: 108500, framesPerS: 5425, unacked: 0, dropped: 0, publishAckP99Ms: 4 },
  stages: [
    { stage: 'gateway frames', service: 'gateway', unit: 'frames/s', perS: vehicles * 5400 },
    { stage: 'decoder signals out', service: 'decoder', unit: 'signals/s', perS: vehicles * 67000 },
    { stage: 'store samples', service: 'store', unit: 'samples/s', perS: vehicles * 66000 },
  ],
  topics: [{ topic: 'tbox.frames.v1', recordsPerS: vehicles }],
  lag: [
    {
      group: 'telltale-store',
      topic: 'vehicle.signals.v1',
      startLag: 0,
      endLag: 3,
      maxLag: 7,
      slopePerS: 0.1,
      growing: false,
    },
  ],
  latency: { decoded: summarise([20, 30]), stored: summarise([40, storedP99]), alert: summarise([], 1) },
  processes: [{ services: ['gateway', 'decoder', 'store'], cpuPercent: 80, rssMiB: 300 }],
  loadGenerator: { cpuPercent: 20, rssMiB: 150 },
  verdict: held ? { held, reasons: [] } : { held, reasons: [`publish → stored p99 ${storedP99} ms > 500 ms`] },
});

const report: LoadTestReport = {
  format: 'telltale-loadtest/1',
  startedAt: '2026-12-06T13:00:00.000Z',
  finishedAt: '2026-12-06T13:02:00.000Z',
  durationS: 120,
  command: 'npx telltale loadtest --start --steps 1,2',
  machine: {
    hostname: 'box',
    cpus: 2,
    cpuModel: 'Test CPU',
    memoryGiB: 24,
    uptimeBefore: ' 13:00:00 up 1 day,  load average: 3.10, 2.00, 1.00',
    uptimeAfter: ' 13:02:00 up 1 day,  load average: 3.50, 2.10, 1.10',
    node: 'v22.0.0',
  },
  target: {
    description: 'a <test> pipeline',
    mqttUrl: 'mqtt://127.0.0.1:1883',
    kafkaBrokers: ['127.0.0.1:9092'],
    topicPrefix: '-',
    databaseSchema: 'telltale',
    ops: { gateway: 'http://127.0.0.1:9101/metrics' },
    attribution: 'shared process',
  },
  plan: {
    modelId: 'aurora-ev-2026',
    steps: [1, 2],
    stepSeconds: 30,
    warmupSeconds: 8,
    rateHz: 1,
    maxSeconds: 300,
    budgetMs: 500,
    continueAfterFailure: false,
    modelFramesPerS: 5425,
    probeIntervalMs: 200,
  },
  steps: [step(1, 120, true), step(2, 900, false)],
  highest: { vehicles: 1, framesPerS: 5425 },
  totals: {
    batchesAcked: 40,
    framesAcked: 217000,
    probesPublished: 100,
    topicRecords: { 'tbox.frames.v1': 140 },
    gatewayBatchesAccepted: 140,
    decoderSignals: 1000,
    storeLatestRowsOffered: 900,
    storeHistoryRowsOffered: 800,
    vehiclesStored: 2,
    drained: true,
  },
  timeline: [
    { t: 0, vehicles: 1, lag: { 'telltale-store': 0 } },
    { t: 1, vehicles: 1, lag: { 'telltale-store': 7 } },
  ],
};

describe('renderHtml', () => {
  const html = renderHtml(report);
  it('is one self-contained page: inline SVG charts, nothing loaded from elsewhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(6);
    expect(html).not.toMatch(/(src|href)=/);
    expect(html).not.toMatch(/<script(?! type="application\/json")/);
  });
  it('shows the verdict, the figures, uptime and the command; escapes what it prints', () => {
    expect(html).toContain('<strong>1 × aurora-ev-2026</strong> = <strong>5425 frames/s</strong>');
    expect(html).toContain('publish → stored p99 900 ms &#62; 500 ms');
    expect(html).toContain('load average: 3.10, 2.00, 1.00');
    expect(html).toContain('npx telltale loadtest --start --steps 1,2');
    expect(html).toContain('a &#60;test&#62; pipeline');
    expect(html).toContain('budget 500 ms');
  });
  it('embeds the report data so the page alone is the record', () => {
    const json = /<script type="application\/json" id="report">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json!)).toEqual(report);
  });
});

describe('summaryText and progress', () => {
  it('tabulates each step and names the highest rate held', () => {
    const text = summaryText(report);
    expect(text).toContain('Highest rate held: 1 × aurora-ev-2026 = 5425 frames/s');
    expect(text).toMatch(/ {7}1 +5425 +5400 +67 k +66 k +20\/30 +40\/120 +— \(1 lost\) +7 {2}yes/);
    expect(text).toContain('no: publish → stored p99 900 ms > 500 ms');
  });
  it('draws a bar over the planned time', () => {
    const line = progressLine({
      elapsedS: 30,
      totalS: 60,
      step: 2,
      steps: 2,
      vehicles: 2,
      framesPerS: 10900,
      probes: 12,
      lastStoredMs: 42.4,
      width: 10,
    });
    expect(line).toBe(
      '█████░░░░░  50%  step 2/2: 2 vehicles, 10.9 k frames/s, 12 probes, last stored 42 ms, ~30 s left',
    );
  });
});

describe('svg chart', () => {
  it('picks 1-2-5 tick steps', () => {
    expect([niceStep(10), niceStep(73), niceStep(0.9), niceStep(0)]).toEqual([2, 20, 0.2, 1]);
  });
  it('leaves gaps for missing values and draws the limit', () => {
    const svg = renderLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 's',
          points: [
            [1, 10],
            [2, null],
            [3, 30],
          ],
        },
      ],
      limit: { y: 20, label: 'budget' },
    });
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+ M[\d.]+ [\d.]+"/);
    expect(svg).toContain('stroke-dasharray');
    expect(svg.match(/<circle/g)?.length).toBe(2);
  });
});
