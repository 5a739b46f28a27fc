/**
 * The open live alert streams of one API instance, by API key: a key may hold at most `maxPerKey` at once (so one
 * key cannot take every slot of ALERT_STREAM_MAX_CLIENTS), and every stream of a key ends when the key is revoked.
 * A stream authenticates once, when it opens; `recheck` asks the key store about each key with open streams every
 * `recheckMs` (one query per key, not per stream), which also catches revocations made on other instances. A
 * revocation made on this instance ends the key's streams at once (`endKey`).
 */
export interface KeyStatusSource {
  /** undefined when the key no longer exists. */
  find(keyId: string): Promise<{ readonly revokedAt: Date | undefined } | undefined>;
}

export type StreamEndReason = 'API_KEY_REVOKED' | 'SERVER_CLOSING';

/** Ends one stream; `reason` is told to the client before the connection closes. */
export type EndStream = (reason: StreamEndReason) => void;

export class LiveStreams {
  private readonly byKey = new Map<string, Set<EndStream>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly maxPerKey: number,
    private readonly hooks: {
      /** The key store failed during a recheck; the key's streams stay open until the next one. */
      readonly error?: (err: unknown, keyId: string) => void;
      /** A recheck ended `count` streams of a revoked or deleted key. */
      readonly revoked?: (keyId: string, count: number) => void;
    } = {},
  ) {}

  /** Whether the key may open another stream. */
  hasRoom(keyId: string): boolean {
    return (this.byKey.get(keyId)?.size ?? 0) < this.maxPerKey;
  }

  /** Registers a stream; returns its release, or undefined when the key holds maxPerKey streams already. */
  open(keyId: string, end: EndStream): (() => void) | undefined {
    let streams = this.byKey.get(keyId);
    if (streams === undefined) this.byKey.set(keyId, (streams = new Set()));
    if (streams.size >= this.maxPerKey) return undefined;
    streams.add(end);
    return () => {
      streams.delete(end);
      if (streams.size === 0 && this.byKey.get(keyId) === streams) this.byKey.delete(keyId);
    };
  }

  count(keyId: string): number {
    return this.byKey.get(keyId)?.size ?? 0;
  }

  /** Ends every stream of the key; returns how many. */
  endKey(keyId: string, reason: StreamEndReason): number {
    const streams = this.byKey.get(keyId);
    if (streams === undefined) return 0;
    this.byKey.delete(keyId);
    const ends = [...streams];
    for (const end of ends) end(reason);
    return ends.length;
  }

  endAll(reason: StreamEndReason): void {
    for (const keyId of [...this.byKey.keys()]) this.endKey(keyId, reason);
  }

  /** Ends the streams of keys that were revoked or deleted. A store that fails keeps the streams (checked again). */
  async recheck(keys: KeyStatusSource): Promise<number> {
    let ended = 0;
    for (const keyId of [...this.byKey.keys()]) {
      const key = await keys.find(keyId).catch((err: unknown) => {
        this.hooks.error?.(err, keyId);
        return null;
      });
      if (key === undefined || (key !== null && key.revokedAt !== undefined)) {
        const count = this.endKey(keyId, 'API_KEY_REVOKED');
        if (count > 0) this.hooks.revoked?.(keyId, count);
        ended += count;
      }
    }
    return ended;
  }

  /** Rechecks every `recheckMs` until stop(); the timer does not keep the process alive. */
  startRechecking(keys: KeyStatusSource, recheckMs: number): void {
    this.stop();
    let running = false;
    this.timer = setInterval(() => {
      if (running || this.byKey.size === 0) return;
      running = true;
      void this.recheck(keys).finally(() => (running = false));
    }, recheckMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
