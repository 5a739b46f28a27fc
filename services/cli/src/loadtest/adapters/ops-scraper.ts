/** Reads each service's /metrics (its ops endpoint) with a short timeout; an endpoint that fails reads as absent. */
import { parseMetrics, type Sample } from '../domain/prometheus.js';

export type Scrape = ReadonlyMap<string, readonly Sample[]>;

export async function scrapeAll(ops: Readonly<Record<string, string>>, timeoutMs = 2000): Promise<Scrape> {
  const entries = await Promise.all(
    Object.entries(ops).map(async ([service, url]): Promise<[string, Sample[]] | undefined> => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) return undefined;
        return [service, parseMetrics(await response.text())];
      } catch {
        return undefined;
      }
    }),
  );
  return new Map(entries.filter((e): e is [string, Sample[]] => e !== undefined));
}
