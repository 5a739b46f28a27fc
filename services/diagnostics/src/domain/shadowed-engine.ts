/**
 * The live rule engine with a second one beside it for the rule versions deployed as shadow. Both are the same
 * RuleEngine fed the same batches and the same timer clock, so a shadow version keeps its own state (values, windows,
 * `for` and clear delays, hysteresis, ladders, re-raise) exactly as it would live. What the shadow engine makes is
 * never returned where live transitions go: it collects until `drainShadow()`, and the service records it apart
 * (shadow_transitions), publishing nothing.
 *
 * State: `snapshotState` is the live engine's JSON as before while a vehicle has no shadow state, and
 * `{ format: "live+shadow", live, shadow }` while it has; `restoreState` takes both, so the shadow state is
 * checkpointed with the live state and the offsets in one transaction and a restart re-derives (never repeats) the
 * shadow transitions too. With no shadow rule at all, the shadow engine is dropped and nothing is fed to it.
 *
 *   const engine = new ShadowedRuleEngine({ silenceGraceMs: 2000 });
 *   engine.setRules(active); engine.setShadowRules(shadows);
 *   const live = engine.ingest(batch).transitions;   // → outbox, vehicle.alerts.v1
 *   const shadow = engine.drainShadow();              // → shadow_transitions only
 */
import {
  RuleEngine,
  type AlertTransition,
  type IngestResult,
  type RuleEngineOptions,
  type RuleSnapshot,
  type RuleTiming,
  type SampleBatch,
  type VehicleStateJson,
} from '@telltale/rules';

export const SHADOWED_STATE_FORMAT = 'live+shadow';

/** A vehicle's persisted state while a shadow version holds state for it. */
export interface ShadowedStateJson {
  readonly format: typeof SHADOWED_STATE_FORMAT;
  readonly live: unknown;
  readonly shadow: unknown;
}

const isShadowedState = (json: unknown): json is ShadowedStateJson =>
  typeof json === 'object' && json !== null && (json as { format?: unknown }).format === SHADOWED_STATE_FORMAT;

const hasRules = (snapshot: RuleSnapshot): boolean => [...snapshot.models.values()].some((m) => m.rules.length > 0);

export class ShadowedRuleEngine {
  private readonly live: RuleEngine;
  private shadow: RuleEngine;
  private shadowing = false;
  /** Vehicles the shadow engine holds (to re-persist them without it when the last shadow stops). */
  private readonly shadowVins = new Set<string>();
  /** Vehicles whose persisted state must change although neither engine marked them (a shadow dropped). */
  private readonly changed = new Set<string>();
  private pending: AlertTransition[] = [];

  constructor(private readonly options: RuleEngineOptions = {}) {
    this.live = new RuleEngine(options);
    this.shadow = this.newShadowEngine();
  }

  /** True while some shadow version applies to some model. */
  get shadowActive(): boolean {
    return this.shadowing;
  }

  /** Swaps the live rules; returns the live "rule-removed" clears. */
  setRules(snapshot: RuleSnapshot): AlertTransition[] {
    return this.live.setRules(snapshot);
  }

  /** Swaps the shadow versions; their "rule-removed" clears go to `drainShadow()`. */
  setShadowRules(snapshot: RuleSnapshot): void {
    this.pending.push(...this.shadow.setRules(snapshot));
    this.shadowing = hasRules(snapshot);
    if (!this.shadowing && this.shadowVins.size > 0) {
      // Nothing left to shadow: drop the engine (a later shadow starts fresh) and persist the vehicles without it.
      for (const vin of this.shadowVins) this.changed.add(vin);
      this.shadowVins.clear();
      this.shadow = this.newShadowEngine();
    }
  }

  /** The live result; what the shadow versions made waits in `drainShadow()`. */
  ingest(batch: SampleBatch): IngestResult {
    const result = this.live.ingest(batch);
    if (this.shadowing) {
      this.pending.push(...this.shadow.ingest(batch).transitions);
      this.shadowVins.add(batch.vin);
    }
    return result;
  }

  /** The live timers' transitions (of `vins` only, when given); the shadow engine's clock moves with the same. */
  advance(nowMs: number, vins?: Iterable<string>): AlertTransition[] {
    const named = vins === undefined || !this.shadowing ? vins : [...vins]; // iterated twice
    const out = this.live.advance(nowMs, named);
    if (this.shadowing) this.pending.push(...this.shadow.advance(nowMs, named));
    return out;
  }

  /** Transitions the shadow versions made since the last call. */
  drainShadow(): AlertTransition[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  drainRuleTimings(): RuleTiming[] {
    return this.live.drainRuleTimings();
  }

  snapshotState(vin: string): VehicleStateJson | ShadowedStateJson | undefined {
    const live = this.live.snapshotState(vin);
    if (live === undefined) return undefined;
    const shadow = this.shadowing ? this.shadow.snapshotState(vin) : undefined;
    return shadow === undefined ? live : { format: SHADOWED_STATE_FORMAT, live, shadow };
  }

  /**
   * Restores a persisted vehicle (either format); returns the live "rule-removed" clears (the shadow's go to
   * `drainShadow()`). Throws on malformed state, restoring nothing.
   */
  restoreState(vin: string, json: unknown): AlertTransition[] {
    if (!isShadowedState(json)) return this.live.restoreState(vin, json);
    if (!this.shadowing) {
      this.changed.add(vin); // its shadow stopped meanwhile: persist it without
      return this.live.restoreState(vin, json.live);
    }
    const shadowRemoved = this.shadow.restoreState(vin, json.shadow);
    try {
      const removed = this.live.restoreState(vin, json.live);
      this.pending.push(...shadowRemoved);
      this.shadowVins.add(vin);
      return removed;
    } catch (error) {
      this.shadow.forget(vin);
      throw error;
    }
  }

  forget(vin: string): void {
    this.live.forget(vin);
    this.shadow.forget(vin);
    this.shadowVins.delete(vin);
    this.changed.delete(vin);
  }

  drainChanged(): string[] {
    const out = new Set(this.live.drainChanged());
    for (const vin of this.shadow.drainChanged()) out.add(vin);
    for (const vin of this.changed) out.add(vin);
    this.changed.clear();
    return [...out];
  }

  /** For inspection and tests: a rule's phase and alert for a vehicle, live or in the shadow engine. */
  ruleStatus(vin: string, ruleId: string, side: 'live' | 'shadow' = 'live'): ReturnType<RuleEngine['ruleStatus']> {
    return (side === 'live' ? this.live : this.shadow).ruleStatus(vin, ruleId);
  }

  private newShadowEngine(): RuleEngine {
    // Per-rule timings are the live rules' metric; the shadow engine does not pay for it.
    return new RuleEngine({ ...this.options, measureRules: false });
  }
}
