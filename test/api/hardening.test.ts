// Security hardening against a real server and PostgreSQL: per-key rate limits, body limits, rule bounds, live
// stream caps and revocation, 5xx answers without the cause, id conflicts that do not reveal other fleets, and
// security headers on every response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@telltale/platform/testing';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness, type ErrorJson } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness({
    API_RATE_LIMIT_PER_SECOND: '1',
    API_RATE_LIMIT_BURST: '60',
    ALERT_STREAM_MAX_PER_KEY: '2',
    ALERT_STREAM_KEY_RECHECK_MS: '200',
  });
});
afterAll(() => h?.close());

const rule = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  condition: 'cellTemperatureMax > 55',
  message: 'Cell temperature {{ cellTemperatureMax | fixed(1) }} °C',
  ...extra,
});

/** An SSE response read to its end: resolves with the text when the server closes the stream. */
async function sse(path: string, token: string) {
  const response = await fetch(`${h.api.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  let text = '';
  let ended = false;
  const abort = new AbortController();
  const done = (async () => {
    if (!response.body) return;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    abort.signal.addEventListener('abort', () => void reader.cancel());
    for (;;) {
      const { value, done } = (await reader.read().catch(() => ({ value: undefined, done: true }))) as {
        value: Uint8Array | undefined;
        done: boolean;
      };
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    ended = true;
  })();
  return {
    response,
    text: () => text,
    ended: () => ended,
    done,
    close: () => abort.abort(),
  };
}

describe('rate limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a key spends its burst, and keeps other keys apart', async () => {
    const { token } = await h.key('viewer', ['fleet-a'], 'greedy');
    const { token: other } = await h.key('viewer', ['fleet-a'], 'patient');
    // Rule checks cost 5: twelve validations spend the burst of 60.
    for (let i = 0; i < 12; i++) {
      const ok = await h.call('POST', '/v1/rules/validate', { token, body: { rule: rule('rate.a') } });
      expect(ok.status).toBe(200);
    }
    // The bucket regains 1 a second while the checks run: a few cheap requests spend what came back.
    let refused = await h.call<ErrorJson>('GET', '/v1/fleets', { token });
    for (let i = 0; i < 20 && refused.status === 200; i++)
      refused = await h.call<ErrorJson>('GET', '/v1/fleets', { token });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await h.call('GET', '/v1/fleets', { token: other })).status).toBe(200);
  });
});

describe('body limits', () => {
  it('refuses a body over the default limit with 413 BODY_TOO_LARGE', async () => {
    const { token } = await h.key('admin', ['*'], 'big-body');
    const r = await h.call<ErrorJson>('PATCH', '/v1/fleets/fleet-a', { token, body: { name: 'x'.repeat(20_000) } });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('refuses a 1 MiB rule with 413, and answers a long message (under the body limit) at once', async () => {
    const { token } = await h.key('viewer', ['fleet-a', 'fleet-b'], 'long-message');
    const huge = await h.call<ErrorJson>('POST', '/v1/rules/validate', {
      token,
      body: { rule: rule('big', { message: '{{ vin }}'.repeat(116_509) }) },
    });
    expect(huge.status).toBe(413);
    const start = Date.now();
    const long = await h.call<{ ok: boolean; problems: { code: string; path: string }[] }>(
      'POST',
      '/v1/rules/validate',
      { token, body: { rule: rule('long', { message: '{{ vin }}'.repeat(20_000) }) } },
    );
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(long.status).toBe(200);
    expect(long.body.ok).toBe(false);
    expect(long.body.problems).toEqual([expect.objectContaining({ code: 'RULE_INVALID', path: '/message' })]);
  });
});

describe('rule bounds', () => {
  it('refuses a deeply nested condition: 400 RULE_INVALID with a positioned RULE_TOO_COMPLEX, not a 500', async () => {
    const { token } = await h.key('engineer', ['fleet-a'], 'deep');
    const condition = `${'('.repeat(4_000)}cellTemperatureMax > 55${')'.repeat(4_000)}`;
    const r = await h.call<{ error: ErrorJson['error'] & { details: { problems: Record<string, unknown>[] } } }>(
      'POST',
      '/v1/rules',
      { token, body: { rule: rule('deep', { condition, scope: { fleets: ['fleet-a'] } }) } },
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('RULE_INVALID');
    expect(r.body.error.details.problems).toEqual([
      expect.objectContaining({ code: 'RULE_TOO_COMPLEX', path: '/condition', line: 1, column: 257 }),
    ]);
    const message = '{{vin}}'.repeat(100);
    const many = await h.call<{ ok: boolean; problems: Record<string, unknown>[] }>('POST', '/v1/rules/validate', {
      token,
      body: { rule: rule('many', { message }) },
    });
    expect(many.body.problems).toEqual([
      expect.objectContaining({ code: 'RULE_TOO_COMPLEX', path: '/message', line: 1, column: 64 * 7 + 1 }),
    ]);
  });
});

describe('live streams', () => {
  it('caps the streams of one key with 429 ALERT_STREAM_KEY_LIMIT; other keys still open theirs', async () => {
    const { token } = await h.key('viewer', ['fleet-a'], 'streamer');
    const { token: other } = await h.key('viewer', ['fleet-a'], 'other-streamer');
    const first = await sse('/v1/alerts/stream', token);
    const second = await sse('/v1/alerts/stream', token);
    try {
      expect([first.response.status, second.response.status]).toEqual([200, 200]);
      const third = await h.call<ErrorJson>('GET', '/v1/alerts/stream', { token });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('ALERT_STREAM_KEY_LIMIT');
      expect(third.headers.get('retry-after')).not.toBeNull();
      const others = await sse('/v1/alerts/stream', other);
      expect(others.response.status).toBe(200);
      others.close();
    } finally {
      first.close();
      second.close();
    }
    // A closed stream frees its slot.
    await waitFor(
      'a freed stream slot',
      async () => {
        const again = await sse('/v1/alerts/stream', token);
        again.close();
        return again.response.status === 200 || undefined;
      },
      5_000,
    );
  });

  it('ends the streams of a key revoked in the database (another instance) within seconds', async () => {
    const { token, keyId } = await h.key('viewer', ['fleet-a'], 'revoked-elsewhere');
    const stream = await sse('/v1/alerts/stream', token);
    expect(stream.response.status).toBe(200);
    await waitFor('the ready event', () => stream.text().includes('event: ready') || undefined, 5_000);
    await h.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1', [keyId]);
    await waitFor('the end of the stream', () => stream.ended() || undefined, 5_000);
    expect(stream.text()).toContain('event: error\ndata: {"code":"API_KEY_REVOKED"');
  });

  it('ends the streams of a key revoked through the API at once', async () => {
    const { token: admin } = await h.key('admin', ['*'], 'revoker');
    const { token, keyId } = await h.key('viewer', ['fleet-a'], 'revoked-here');
    const stream = await sse('/v1/alerts/stream', token);
    await waitFor('the ready event', () => stream.text().includes('event: ready') || undefined, 5_000);
    expect((await h.call('DELETE', `/v1/keys/${keyId}`, { token: admin })).status).toBe(200);
    await waitFor('the end of the stream', () => stream.ended() || undefined, 1_000);
    expect(stream.text()).toContain('API_KEY_REVOKED');
  });
});

describe('5xx answers', () => {
  it('answer 503 with a generic message and the request id, never the PostgreSQL error', async () => {
    const { token } = await h.key('viewer', ['fleet-a'], 'sees-503');
    await h.pool.query('ALTER TABLE vehicles RENAME TO vehicles_away');
    try {
      const r = await h.call<ErrorJson>('GET', '/v1/vehicles', { token });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retryable: true });
      expect(r.body.error.message).toBe(
        'A backing service is unavailable; retry shortly. ' +
          `The server log has the details under request id ${r.body.error.requestId}.`,
      );
      expect(JSON.stringify(r.body)).not.toMatch(/vehicles|relation|does not exist/);
      expect(r.body.error.details).toBeUndefined();
    } finally {
      await h.pool.query('ALTER TABLE vehicles_away RENAME TO vehicles');
    }
  });
});

describe('id conflicts across fleets', () => {
  const sameAnswer = (
    a: { status: number; body: ErrorJson },
    b: { status: number; body: ErrorJson },
    ids: string[],
  ) => {
    const strip = (r: { status: number; body: ErrorJson }, id: string) =>
      JSON.stringify({ status: r.status, ...r.body.error, requestId: undefined }).replaceAll(id, '<id>');
    expect(strip(a, ids[0]!)).toBe(strip(b, ids[1]!));
  };

  it('answers a taken rule id alike whether the caller sees the rule or not, without offering an update', async () => {
    const { token: engineerB } = await h.key('engineer', ['fleet-b'], 'engineer-b');
    const { token: engineerA } = await h.key('engineer', ['fleet-a'], 'engineer-a');
    const scoped = (id: string, fleet: string) => rule(id, { scope: { fleets: [fleet] } });
    expect(
      (await h.call('POST', '/v1/rules', { token: engineerB, body: { rule: scoped('taken.b', 'fleet-b') } })).status,
    ).toBe(201);
    expect(
      (await h.call('POST', '/v1/rules', { token: engineerA, body: { rule: scoped('taken.a', 'fleet-a') } })).status,
    ).toBe(201);
    const theirs = await h.call<ErrorJson>('POST', '/v1/rules', {
      token: engineerA,
      body: { rule: scoped('taken.b', 'fleet-a') },
    });
    const own = await h.call<ErrorJson>('POST', '/v1/rules', {
      token: engineerA,
      body: { rule: scoped('taken.a', 'fleet-a') },
    });
    expect(theirs.status).toBe(409);
    sameAnswer(theirs, own, ['taken.b', 'taken.a']);
    expect(theirs.body.error.message).not.toMatch(/version|fleet-b|update/);
    expect((await h.call('GET', '/v1/rules/taken.b', { token: engineerA })).status).toBe(404);
  });

  it('answers a registered VIN and a taken device id the same whichever fleet holds them', async () => {
    const { token: adminA } = await h.key('admin', ['fleet-a'], 'admin-a');
    const vehicle = (vin: string) => ({ vin, fleetId: 'fleet-a', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' });
    const theirs = await h.call<ErrorJson>('POST', '/v1/vehicles', { token: adminA, body: vehicle(VIN_B) });
    const own = await h.call<ErrorJson>('POST', '/v1/vehicles', { token: adminA, body: vehicle(VIN_A) });
    expect(theirs.status).toBe(409);
    sameAnswer(theirs, own, [VIN_B, VIN_A]);
    expect(JSON.stringify(theirs.body)).not.toContain('fleet-b');

    const deviceTheirs = await h.call<ErrorJson>('POST', `/v1/vehicles/${VIN_A}/devices`, {
      token: adminA,
      body: { deviceId: 'tbox-b' },
    });
    const deviceOwn = await h.call<ErrorJson>('POST', `/v1/vehicles/${VIN_A}/devices`, {
      token: adminA,
      body: { deviceId: 'tbox-a' },
    });
    expect(deviceTheirs.status).toBe(409);
    sameAnswer(deviceTheirs, deviceOwn, ['tbox-b', 'tbox-a']);
    expect(JSON.stringify(deviceTheirs.body)).not.toContain(VIN_B);
  });
});

describe('security headers', () => {
  const expectBase = (headers: Headers) => {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-powered-by')).toBeNull();
  };

  it('sends a deny-all CSP on JSON answers, errors and 404s', async () => {
    const { token } = await h.key('viewer', ['fleet-a'], 'headers');
    for (const [path, status] of [
      ['/healthz', 200],
      ['/v1/fleets', 200],
      ['/v1/nothing-here', 404],
      ['/openapi.json', 200],
    ] as const) {
      const r = await fetch(`${h.api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(status);
      expectBase(r.headers);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const unauthenticated = await fetch(`${h.api.url}/v1/fleets`);
    expect(unauthenticated.status).toBe(401);
    expectBase(unauthenticated.headers);
    const stream = await sse('/v1/alerts/stream', token);
    expectBase(stream.response.headers);
    expect(stream.response.headers.get('content-security-policy')).toContain("default-src 'none'");
    stream.close();
  });

  it('lets the Swagger UI load its own scripts, styles and spec, and nothing else', async () => {
    const page = await fetch(`${h.api.url}/docs/`);
    expect(page.status).toBe(200);
    expectBase(page.headers);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    const html = await page.text();
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await fetch(new URL(src[1]!, `${h.api.url}/docs/`));
      expect(asset.status).toBe(200);
    }
  });
});
