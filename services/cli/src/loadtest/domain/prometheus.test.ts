import { describe, expect, it } from 'vitest';
import { counterDelta, processGroups, processUsage, stageRates } from './measure.js';
import { parseMetrics, total } from './prometheus.js';

const exposition = (cpu: number, frames: number, pid = 100, host = 'box'): string => `
# HELP telltale_process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE telltale_process_cpu_seconds_total counter
telltale_process_cpu_seconds_total{service="gateway"} ${cpu}
telltale_process_resident_memory_bytes{service="gateway"} 104857600
telltale_process_identity{host="${host}",pid="${pid}",service="gateway"} 1
telltale_gateway_frames_total{service="gateway"} ${frames}
telltale_gateway_batches_total{outcome="accepted",service="gateway"} 10
telltale_gateway_batches_total{outcome="duplicate",service="gateway"} 2
weird_label{a="x\\"y",b="z"} 1e3
`;

describe('parseMetrics', () => {
  it('reads names, labels (escapes included) and values, skipping comments', () => {
    const samples = parseMetrics(exposition(1.5, 100));
    expect(samples).toHaveLength(7);
    expect(samples.find((s) => s.name === 'weird_label')).toEqual({
      name: 'weird_label',
      labels: { a: 'x"y', b: 'z' },
      value: 1000,
    });
    expect(total(samples, 'telltale_gateway_batches_total')).toBe(12);
    expect(total(samples, 'telltale_gateway_batches_total', { outcome: 'accepted' })).toBe(10);
    expect(total(samples, 'missing_total')).toBeUndefined();
  });
});

describe('measure', () => {
  const before = new Map([['gateway', parseMetrics(exposition(1, 1000))]]);
  const after = new Map([['gateway', parseMetrics(exposition(2, 6000))]]);
  it('rates each stage of the services that answered', () => {
    const rates = stageRates(before, after, 0, 2000);
    expect(rates.find((r) => r.stage === 'gateway frames')).toEqual({
      stage: 'gateway frames',
      service: 'gateway',
      unit: 'frames/s',
      perS: 2500,
    });
    expect(rates.some((r) => r.service === 'decoder')).toBe(false);
  });
  it('counts a labelled counter without series yet as zero when its service answered', () => {
    expect(counterDelta(before, after, 'gateway', 'telltale_gateway_frames_total')).toBe(5000);
    expect(counterDelta(before, after, 'gateway', 'telltale_gateway_rejected_total')).toBe(0);
    expect(counterDelta(before, after, 'decoder', 'telltale_decoder_signals_total')).toBeNull();
  });
  it('groups services of one process and gives its CPU once', () => {
    const shared = new Map([
      ['gateway', parseMetrics(exposition(30, 0))],
      ['decoder', parseMetrics(exposition(12, 0))], // the same process: its registry counts CPU from its creation
      ['store', parseMetrics(exposition(30, 0, 101))],
      ['api', parseMetrics(exposition(30, 0, 100, 'other-box'))],
      ['archive', parseMetrics('telltale_archive_rows_total 3')],
    ]);
    const groups = processGroups(shared);
    expect(groups).toEqual([['gateway', 'decoder'], ['store'], ['api'], ['archive']]);
    const usage = processUsage([['gateway']], before, after, 0, 4000);
    expect(usage).toEqual([{ services: ['gateway'], cpuPercent: 25, rssMiB: 100 }]);
  });
});
