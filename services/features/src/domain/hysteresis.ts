/**
 * When a fault probability becomes a predictive alert: raised once p ≥ raiseAt in `raiseWindows` consecutive
 * windows, cleared at the first window with p ≤ clearAt; between the two thresholds nothing changes (hysteresis), so
 * a probability hovering around one threshold does not flap. Steps run in window order (event time), so a replay of
 * the same windows makes the same transitions. Pure.
 */
export interface HysteresisSettings {
  readonly raiseAt: number;
  readonly raiseWindows: number;
  readonly clearAt: number;
}

export interface HysteresisState {
  active: boolean;
  /** Consecutive windows at or above raiseAt while not active. */
  streak: number;
  /** Window end of the window that raised the current (or last) episode; 0: none yet. */
  episodeStartMs: number;
  /** Transitions of the current episode (1 = raised, 2 = cleared). */
  seq: number;
}

export type HysteresisStep =
  | { readonly kind: 'none' }
  | { readonly kind: 'raise' | 'clear'; readonly episodeStartMs: number; readonly seq: number };

export const NO_STEP: HysteresisStep = { kind: 'none' };

export const initialHysteresis = (): HysteresisState => ({ active: false, streak: 0, episodeStartMs: 0, seq: 0 });

/** Applies one window's probability; mutates `state`. A NaN probability (no score) changes nothing. */
export function stepHysteresis(
  state: HysteresisState,
  probability: number,
  windowEndMs: number,
  settings: HysteresisSettings,
): HysteresisStep {
  if (probability !== probability) return NO_STEP;
  if (!state.active) {
    state.streak = probability >= settings.raiseAt ? state.streak + 1 : 0;
    if (state.streak < settings.raiseWindows) return NO_STEP;
    state.active = true;
    state.streak = 0;
    state.episodeStartMs = windowEndMs;
    state.seq = 1;
    return { kind: 'raise', episodeStartMs: windowEndMs, seq: 1 };
  }
  if (probability > settings.clearAt) return NO_STEP;
  state.active = false;
  state.seq += 1;
  return { kind: 'clear', episodeStartMs: state.episodeStartMs, seq: state.seq };
}

export function validateHysteresis(settings: HysteresisSettings): string | undefined {
  if (!(settings.raiseAt > 0 && settings.raiseAt <= 1)) return 'raiseAt must be in (0, 1]';
  if (!(settings.clearAt >= 0 && settings.clearAt < settings.raiseAt)) return 'clearAt must be in [0, raiseAt)';
  if (!Number.isInteger(settings.raiseWindows) || settings.raiseWindows < 1) return 'raiseWindows must be ≥ 1';
  return undefined;
}
