/**
 * Sends one webhook attempt with node:http(s): the URL and every resolved address are checked against the target
 * policy, the connection goes to the checked address (no DNS rebinding between check and connect), redirects are
 * not followed (a 3xx fails the attempt), and connect time, total time and response size are bounded.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { AttemptOutcome } from '../domain/backoff.js';
import { outcomeOfStatus } from '../domain/backoff.js';
import { checkAddress, checkWebhookUrl, type TargetPolicy } from '../domain/target-policy.js';
import type { WebhookRequest, WebhookTransport } from '../pipeline/delivery-worker.js';

export interface SenderLimits {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
}

export type { WebhookRequest } from '../pipeline/delivery-worker.js';

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

export class HttpWebhookSender implements WebhookTransport {
  // Keep-alive: a busy receiver gets its deliveries over a few warm connections instead of a handshake each.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 30_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, timeout: 30_000 });

  constructor(
    private readonly policy: TargetPolicy,
    private readonly limits: SenderLimits,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  async send(request: WebhookRequest): Promise<AttemptOutcome> {
    const target = checkWebhookUrl(this.policy, request.url);
    if (!target.ok) return { kind: 'refused', error: target.reason };
    const { hostname } = target.value;
    const deadline = Date.now() + this.limits.timeoutMs;
    let address: { address: string; family: number };
    if (isIP(hostname) !== 0) {
      address = { address: hostname, family: isIP(hostname) };
    } else {
      let resolved: { address: string; family: number }[];
      try {
        resolved = await withTimeout(this.resolve(hostname), this.limits.connectTimeoutMs, 'DNS lookup timed out');
      } catch (error) {
        return { kind: 'failed', error: `DNS lookup of ${hostname} failed: ${(error as Error).message}` };
      }
      const checks = resolved.map((r) => ({ r, check: checkAddress(this.policy, hostname, r.address) }));
      const usable = checks.find((c) => c.check.ok);
      if (!usable)
        return {
          kind: 'refused',
          error: checks[0]?.check.ok === false ? checks[0].check.reason : `${hostname} has no address`,
        };
      address = usable.r;
    }
    return this.post(request, target.value.protocol, address, deadline);
  }

  private post(
    request: WebhookRequest,
    protocol: 'http:' | 'https:',
    pinned: { address: string; family: number },
    deadline: number,
  ): Promise<AttemptOutcome> {
    const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all)
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const done = (outcome: AttemptOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        clearTimeout(connect);
        resolve(outcome);
      };
      const url = new URL(request.url);
      const options: http.RequestOptions = {
        method: 'POST',
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(request.body)),
          'user-agent': 'telltale-notifier/1',
        },
        lookup: pinnedLookup,
        agent: protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      };
      const req = (protocol === 'https:' ? https : http).request(options, (res) => {
        const status = res.statusCode ?? 0;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.limits.maxResponseBytes) {
            done({ kind: 'failed', error: `response body larger than ${this.limits.maxResponseBytes} bytes` });
            res.destroy();
          }
        });
        res.on('end', () => done(outcomeOfStatus(status)));
        res.on('error', (error) => done({ kind: 'failed', error: error.message }));
        res.on('close', () =>
          done(res.complete ? outcomeOfStatus(status) : { kind: 'failed', error: 'response ended early' }),
        );
      });
      const total = setTimeout(
        () => {
          done({ kind: 'failed', error: `no complete response within ${this.limits.timeoutMs} ms` });
          req.destroy();
        },
        Math.max(deadline - Date.now(), 1),
      );
      const connect = setTimeout(() => {
        done({ kind: 'failed', error: `could not connect within ${this.limits.connectTimeoutMs} ms` });
        req.destroy();
      }, this.limits.connectTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connect);
        else socket.once(protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connect));
      });
      req.on('error', (error) => done({ kind: 'failed', error: error.message }));
      req.end(request.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
  ]).finally(() => clearTimeout(timer));
}
