// The webhook sender against a real HTTP server: target safety (no redirects followed, DNS answers checked, private
// addresses refused unless allowed), timeouts and the response-size limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookSender, targetPolicy } from '@telltale/notifier';

describe('webhook sender', () => {
  let server: Server;
  let base = '';
  const hanging = new Set<ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/redirect')
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
        else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(200_000, 'x'));
        else if (req.url === '/hang') hanging.add(res);
        else res.writeHead(500).end('no');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const limits = { timeoutMs: 500, connectTimeoutMs: 300, maxResponseBytes: 1024 };
  const allowLocal = new HttpWebhookSender(targetPolicy(['127.0.0.1'], []), limits);
  const request = (path: string, url = `${base}${path}`) => ({ url, body: '{"ping":true}', headers: {} });

  it('delivers to an allowed receiver', async () => {
    expect(await allowLocal.send(request('/ok'))).toMatchObject({ kind: 'delivered', statusCode: 204 });
  });

  it('does not follow a redirect: the attempt fails and the redirect target is never called', async () => {
    const outcome = await allowLocal.send(request('/redirect'));
    expect(outcome.kind).not.toBe('delivered');
    expect(outcome).toMatchObject({ statusCode: 302 });
  });

  it('stops reading a response larger than the limit', async () => {
    expect(await allowLocal.send(request('/big'))).toEqual({
      kind: 'failed',
      error: 'response body larger than 1024 bytes',
    });
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const started = Date.now();
    expect(await allowLocal.send(request('/hang'))).toEqual({
      kind: 'failed',
      error: 'no complete response within 500 ms',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses loopback and private targets by default, and names that resolve to them', async () => {
    const strict = new HttpWebhookSender(targetPolicy([], []), limits, (host) =>
      Promise.resolve(
        host === 'rebind.example' ? [{ address: '10.0.0.7', family: 4 }] : [{ address: '93.184.216.34', family: 4 }],
      ),
    );
    expect((await strict.send(request('/ok'))).kind).toBe('refused');
    expect((await strict.send(request('/ok', 'http://rebind.example/hook'))).kind).toBe('refused');
    expect((await strict.send(request('/ok', 'ftp://example.com/hook'))).kind).toBe('refused');
    expect((await strict.send(request('/ok', 'http://user:pw@example.com/hook'))).kind).toBe('refused');
    strict.close();
  });
});
