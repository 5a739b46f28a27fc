// The public endpoints: OpenAPI document, docs page, health; and the error contract for unknown routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './harness.js';

interface Operation {
  security?: Record<string, string[]>[];
  description?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, unknown>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: Record<string, string[]>[];
}

describe('API documentation and health', () => {
  let h: ApiHarness;
  let doc: OpenApi;

  beforeAll(async () => {
    h = await startApiHarness();
    const r = await h.call<OpenApi>('GET', '/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });
  afterAll(() => h?.close());

  it('serves an OpenAPI 3 document of every route, without a key', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Telltale API');
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /healthz',
        'GET /v1/vehicles',
        'POST /v1/vehicles',
        'GET /v1/vehicles/{vin}',
        'PATCH /v1/vehicles/{vin}',
        'DELETE /v1/vehicles/{vin}',
        'GET /v1/vehicles/{vin}/signals',
        'GET /v1/vehicles/{vin}/signals/{name}/history',
        'GET /v1/vehicles/{vin}/features',
        'GET /v1/vehicles/{vin}/devices',
        'POST /v1/vehicles/{vin}/devices',
        'PATCH /v1/vehicles/{vin}/devices/{deviceId}',
        'GET /v1/fleets',
        'POST /v1/fleets',
        'PATCH /v1/fleets/{fleetId}',
        'GET /v1/keys',
        'POST /v1/keys',
        'DELETE /v1/keys/{keyId}',
        'GET /v1/subscriptions',
        'POST /v1/subscriptions',
        'GET /v1/subscriptions/{subscriptionId}',
        'PATCH /v1/subscriptions/{subscriptionId}',
        'DELETE /v1/subscriptions/{subscriptionId}',
        'GET /v1/subscriptions/{subscriptionId}/deliveries',
        'POST /v1/subscriptions/{subscriptionId}/ping',
        'GET /v1/alerts/stream',
        'GET /v1/rules',
        'POST /v1/rules',
        'POST /v1/rules/validate',
        'GET /v1/rules/{ruleId}',
        'PUT /v1/rules/{ruleId}',
        'GET /v1/rules/{ruleId}/history',
        'POST /v1/rules/{ruleId}/enable',
        'POST /v1/rules/{ruleId}/disable',
        'POST /v1/rules/{ruleId}/shadow',
        'GET /v1/rules/{ruleId}/shadow',
        'DELETE /v1/rules/{ruleId}/shadow',
        'POST /v1/rules/{ruleId}/promote',
        'POST /v1/rules/backtest',
        'GET /v1/rules/backtest/{jobId}',
        'DELETE /v1/rules/backtest/{jobId}',
        'GET /v1/alerts',
        'GET /v1/alerts/{alertId}',
        'POST /v1/alerts/{alertId}/acknowledge',
        'GET /v1/vehicles/{vin}/alerts',
        'GET /v1/me',
        'GET /v1/vehicles/overview',
        'GET /v1/models',
        'GET /v1/models/{modelId}/catalog',
      ].sort(),
    );
  });

  it('documents bearer authentication, the role each route needs, parameters and error responses', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
    const history = doc.paths['/v1/vehicles/{vin}/signals/{name}/history']!.get!;
    expect(history.description).toContain('**viewer** role');
    expect(history.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'path:name',
      'path:vin',
      'query:from',
      'query:limit',
      'query:order',
      'query:points',
      'query:to',
    ]);
    expect(Object.keys(history.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(doc.paths['/v1/keys']!.post!.description).toContain('**admin** role');
    expect(doc.paths['/v1/rules']!.post!.description).toContain('**engineer** role');
    expect(doc.paths['/v1/rules']!.get!.description).toContain('**viewer** role');
    expect(doc.paths['/v1/alerts/{alertId}/acknowledge']!.post!.description).toContain('**engineer** role');
    const update = doc.paths['/v1/rules/{ruleId}']!.put!;
    expect(update.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['header:if-match', 'path:ruleId']);
    expect(Object.keys(update.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '409']));
    const alerts = doc.paths['/v1/alerts']!.get!;
    expect(alerts.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'vin',
        'fleet',
        'severity',
        'minSeverity',
        'state',
        'open',
        'acknowledged',
        'from',
        'to',
        'cursor',
        'limit',
      ]),
    );
  });

  it('serves a docs page', async () => {
    const r = await fetch(`${h.api.url}/docs`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(await r.text()).toContain('swagger-ui');
  });

  it('answers /healthz on the API port without a key', async () => {
    const r = await h.call<{ status: string; checks: Record<string, boolean> }>('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', checks: { postgres: true, catalogs: true } });
  });

  it('exposes metrics on the ops port', async () => {
    await h.call('GET', '/v1/vehicles');
    const text = await (await fetch(`${h.api.opsUrl}/metrics`)).text();
    expect(text).toMatch(/telltale_api_requests_total\{[^}]*route="\/v1\/vehicles"[^}]*status="401"/);
    expect(text).toMatch(/telltale_api_auth_failures_total\{[^}]*reason="missing"/);
  });

  it('answers unknown routes with the JSON error contract', async () => {
    const r = await h.call('GET', '/v2/nothing');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'ROUTE_NOT_FOUND', retryable: false });
    expect(r.body.error.message).toContain('/openapi.json');
  });
});
