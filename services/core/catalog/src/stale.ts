/**
 * When a signal's value is stale: no update for STALE_AFTER_CYCLES update periods, and never less than
 * STALE_AFTER_FLOOR_MS. A signal's update period is its message's GenMsgCycleTime, times the number of pages a
 * multiplexed message rotates through (senders send pages round-robin, so a page repeats once per rotation; for a
 * signal on several pages this overestimates the period, which errs towards "not stale yet"). An event-driven
 * message (no cycle time) is never stale. The manifest's signalOverrides.staleAfterMs replaces the rule per signal.
 */
import type { Message, Signal } from '@telltale/dbc';

/** Three missed cycles: one lost frame or a late T-Box batch must not flip a healthy signal to stale. */
export const STALE_AFTER_CYCLES = 3;
/** T-Boxes upload about once a second; two upload periods keep fast signals from flapping between batches. */
export const STALE_AFTER_FLOOR_MS = 2000;
/** Pages counted per switch at most: ranges such as 0-65535 would otherwise make every signal "never stale". */
const MAX_PAGES = 256;

/** How many frames a round-robin sender needs to send every page of the message once (1 if not multiplexed). */
export function multiplexPageCount(message: Message): number {
  const childrenOf = new Map<string, Signal[]>();
  for (const signal of message.signals) {
    const parent = signal.multiplexing.parent;
    if (!parent) continue;
    const list = childrenOf.get(parent.multiplexer) ?? [];
    list.push(signal);
    childrenOf.set(parent.multiplexer, list);
  }
  const pagesOf = (switchName: string, depth: number): number => {
    const values = new Map<number, number>();
    for (const child of childrenOf.get(switchName) ?? []) {
      for (const [low, high] of child.multiplexing.parent?.ranges ?? []) {
        for (let v = low; v <= high && values.size < MAX_PAGES; v += 1) {
          const nested = child.multiplexing.isMultiplexer && depth < 8 ? pagesOf(child.name, depth + 1) : 1;
          values.set(v, Math.max(values.get(v) ?? 1, nested));
        }
      }
    }
    let total = 0;
    for (const pages of values.values()) total += pages;
    return Math.max(total, 1);
  };
  const top = message.signals.find((s) => s.multiplexing.isMultiplexer && !s.multiplexing.parent);
  return top ? pagesOf(top.name, 0) : 1;
}

/** Milliseconds between two updates of the signal when its sender is healthy; undefined for event-driven. */
export function updatePeriodMs(
  message: Message,
  signal: Signal,
  pageCount = multiplexPageCount(message),
): number | undefined {
  if (message.cycleTimeMs === undefined) return undefined;
  return signal.multiplexing.parent ? message.cycleTimeMs * pageCount : message.cycleTimeMs;
}

export function staleAfterMs(
  message: Message,
  signal: Signal,
  pageCount = multiplexPageCount(message),
): number | undefined {
  const period = updatePeriodMs(message, signal, pageCount);
  return period === undefined ? undefined : Math.max(STALE_AFTER_FLOOR_MS, STALE_AFTER_CYCLES * period);
}
