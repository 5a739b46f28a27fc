/**
 * An in-memory view of the registry for hot paths (gateway, decoder): a Map lookup per batch instead of a query.
 * It reloads when the registry version changes, polled every `refreshIntervalMs`.
 */
import type { Logger } from 'pino';
import type { PgRegistry, VehicleRecord } from './pg-registry.js';

export class RegistryCache {
  private vehicles = new Map<string, VehicleRecord>();
  private loadedVersion = -1;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly registry: PgRegistry,
    private readonly log: Logger,
    private readonly refreshIntervalMs = 2000,
  ) {}

  get size(): number {
    return this.vehicles.size;
  }

  get(vin: string): VehicleRecord | undefined {
    return this.vehicles.get(vin);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.log.warn({ err }, 'Registry refresh failed; serving the last loaded view.'),
      );
    }, this.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reloads if the registry changed since the last load. */
  refresh(): Promise<void> {
    this.refreshing ??= this.reloadIfChanged().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async reloadIfChanged(): Promise<void> {
    const version = await this.registry.version();
    if (version === this.loadedVersion) return;
    const list = await this.registry.listVehicles();
    this.vehicles = new Map(list.map((v) => [v.vin, v]));
    this.loadedVersion = version;
    this.log.info({ vehicles: list.length, version }, 'Registry view loaded.');
  }
}
