/**
 * Keeps a process's rules current: LISTENs on `telltale_rules` with a dedicated connection and, on a notification,
 * reloads the enabled rules' current definitions and hands them to `onRules` (the caller compiles them and swaps
 * the engine's snapshot whole). Notifications are hints: a reload happens only when the store version
 * (rules_version) moved, bursts coalesce into one reload in flight plus at most one after it, and a periodic
 * version check repairs a notification lost while the listening connection was down (it reconnects with backoff and
 * reloads once it listens again).
 */
import pg from 'pg';
import { createPgPool, type Pool } from '@telltale/platform/db';
import type { Logger } from '@telltale/platform';
import { PgRuleStore } from './pg-rule-store.js';
import type { JsonObject } from '../rule-diff.js';

export const RULES_CHANNEL = 'telltale_rules';

export interface LoadedRules {
  /** The store version the definitions reflect. */
  readonly version: number;
  /** How this load was triggered. */
  readonly trigger: 'start' | 'notification' | 'check' | 'reconnect';
  /** The definitions of the versions deployed as shadow (evaluated apart, notifying no one). */
  readonly shadows: readonly JsonObject[];
}

export type RuleReloaderSource =
  | { readonly pool: Pool; readonly url?: undefined; readonly schema?: undefined }
  | { readonly pool?: undefined; readonly url: string; readonly schema: string };

export type RuleReloaderOptions = RuleReloaderSource & {
  /** Called with the enabled rules' current definitions each time they change (and once at start). Must not throw. */
  readonly onRules: (definitions: readonly JsonObject[], loaded: LoadedRules) => void;
  /** How often to compare the store version, repairing a missed notification. Default 5000. */
  readonly checkIntervalMs?: number;
  /** Reconnect backoff of the listening connection: first delay, doubling up to the max. Defaults 100 and 5000. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly log?: Logger;
};

export interface RuleReloaderStats {
  notifications: number;
  reloads: number;
  /** Reloads started by the periodic check: each one is a notification that never arrived. */
  repairs: number;
  reconnects: number;
  loadFailures: number;
}

export class RuleReloader {
  readonly stats: RuleReloaderStats = { notifications: 0, reloads: 0, repairs: 0, reconnects: 0, loadFailures: 0 };
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly store: PgRuleStore;
  private readonly checkIntervalMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private reconnectDelayMs: number;
  private started = false;
  private stopped = false;
  private listener: pg.Client | undefined;
  private pid: number | undefined;
  private loading: Promise<void> | undefined;
  private pendingTrigger: LoadedRules['trigger'] | undefined;
  private version: number | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private checkTimer: NodeJS.Timeout | undefined;
  private resolveFirst!: () => void;
  private readonly first: Promise<void>;

  constructor(private readonly options: RuleReloaderOptions) {
    if (options.pool !== undefined) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = createPgPool({ url: options.url, schema: options.schema, max: 1, applicationName: 'telltale-rules' });
      this.ownsPool = true;
    }
    this.store = new PgRuleStore(this.pool);
    this.checkIntervalMs = options.checkIntervalMs ?? 5000;
    this.reconnectMinMs = options.reconnectMinMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5000;
    this.reconnectDelayMs = this.reconnectMinMs;
    this.first = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  /** The store version of the definitions last handed to `onRules`; undefined before the first load. */
  get lastLoadedVersion(): number | undefined {
    return this.version;
  }

  /** The server process id of the listening connection while it listens (for diagnosis and tests). */
  get listenerPid(): number | undefined {
    return this.pid;
  }

  /**
   * Starts listening, then loading (LISTEN first, so no edit can fall between the load and the subscription);
   * resolves after the first load (retrying while PostgreSQL is unavailable).
   */
  async start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.connectListener();
      this.requestReload('start');
      this.checkTimer = setInterval(() => void this.checkVersion(), this.checkIntervalMs);
      this.checkTimer.unref();
    }
    return this.first;
  }

  /** Resolves once the first definitions were handed to `onRules`. */
  firstLoad(): Promise<void> {
    return this.first;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.checkTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const listener = this.listener;
    this.listener = undefined;
    this.pid = undefined;
    await listener?.end().catch(() => undefined);
    await this.loading;
    if (this.ownsPool) await this.pool.end();
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Resolves when the connection listens, or when this attempt failed (a reconnect is then scheduled). */
  private connectListener(): Promise<void> {
    const config: pg.ClientConfig = { ...this.pool.options, application_name: 'telltale-rules-listener' };
    const client = new pg.Client(config);
    let lost = false;
    const onLost = (err?: unknown): void => {
      if (lost) return;
      lost = true;
      if (this.listener === client) {
        this.listener = undefined;
        this.pid = undefined;
      }
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      const delayMs = this.reconnectDelayMs;
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.reconnectMaxMs);
      this.options.log?.warn({ err, delayMs }, 'Rule listener connection lost; reconnecting.');
      this.later(delayMs, () => {
        this.stats.reconnects++;
        void this.connectListener();
      });
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== RULES_CHANNEL) return;
      this.stats.notifications++;
      this.requestReload('notification');
    });
    const listen = async (): Promise<void> => {
      await client.connect();
      await client.query(`LISTEN ${RULES_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      if (this.stopped || lost) {
        await client.end();
        return;
      }
      this.listener = client;
      this.pid = rows[0]?.pid;
      const reconnected = this.reconnectDelayMs !== this.reconnectMinMs || this.stats.reconnects > 0;
      this.reconnectDelayMs = this.reconnectMinMs;
      // Whatever was committed while nobody listened was not announced to us.
      if (reconnected) this.requestReload('reconnect');
    };
    return listen().catch(onLost);
  }

  /** Coalesces: one load in flight, and at most one more queued behind it whatever the number of requests. */
  private requestReload(trigger: LoadedRules['trigger']): void {
    if (this.stopped) return;
    if (this.loading !== undefined) {
      this.pendingTrigger ??= trigger;
      return;
    }
    this.loading = this.loadLoop(trigger).finally(() => {
      this.loading = undefined;
    });
  }

  private async loadLoop(trigger: LoadedRules['trigger']): Promise<void> {
    let next: LoadedRules['trigger'] | undefined = trigger;
    while (next !== undefined && !this.stopped) {
      this.pendingTrigger = undefined;
      await this.load(next);
      next = this.pendingTrigger;
    }
  }

  private async load(trigger: LoadedRules['trigger']): Promise<void> {
    let active;
    try {
      active = await this.store.loadActive();
    } catch (err) {
      this.stats.loadFailures++;
      this.options.log?.warn({ err, trigger }, 'Loading the rules failed; retrying.');
      this.later(Math.min(this.checkIntervalMs, 1000), () => this.requestReload(trigger));
      return;
    }
    if (this.stopped || active.version === this.version) return;
    this.version = active.version;
    this.stats.reloads++;
    try {
      this.options.onRules(active.definitions, { version: active.version, trigger, shadows: active.shadows });
    } catch (err) {
      this.options.log?.error(
        { err, version: active.version },
        'The rules callback threw; the version counts as loaded.',
      );
    }
    this.options.log?.info(
      { version: active.version, rules: active.definitions.length, shadows: active.shadows.length, trigger },
      'Loaded rules.',
    );
    this.resolveFirst();
  }

  private async checkVersion(): Promise<void> {
    if (this.stopped || this.loading !== undefined || this.version === undefined) return;
    try {
      const version = await this.store.version();
      if (version === this.version || this.loading !== undefined) return;
      this.stats.repairs++;
      this.options.log?.warn(
        { loaded: this.version, current: version },
        'Rules changed without a notification; reloading.',
      );
      this.requestReload('check');
    } catch (err) {
      this.options.log?.warn({ err }, 'Checking the rules version failed.');
    }
  }
}
