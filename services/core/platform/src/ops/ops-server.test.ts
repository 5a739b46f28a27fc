import { afterEach, describe, expect, it } from 'vitest';
import { counter, createMetricsRegistry } from '../metrics.js';
import { startOpsServer, type OpsServer } from './ops-server.js';

describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => server?.close());

  it('serves Prometheus metrics with the service label', async () => {
    const registry = createMetricsRegistry('decoder', { defaultMetrics: false });
    counter(registry, 'frames_in_total', 'Frames received', ['model']).inc({ model: 'aurora' }, 3);
    server = await startOpsServer({ registry, host: '127.0.0.1', port: 0 });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('telltale_frames_in_total{model="aurora",service="decoder"} 3');
  });

  it('answers /healthz with 200 when every check passes and 503 otherwise', async () => {
    let kafkaUp = true;
    const registry = createMetricsRegistry('gateway', { defaultMetrics: false });
    server = await startOpsServer({
      registry,
      host: '127.0.0.1',
      port: 0,
      checks: [
        { name: 'kafka', check: () => kafkaUp },
        { name: 'redis', check: () => Promise.resolve(true) },
      ],
    });
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', checks: { kafka: true, redis: true } });
    kafkaUp = false;
    const bad = await fetch(`${server.url}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toEqual({ status: 'unhealthy', checks: { kafka: false, redis: true } });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
