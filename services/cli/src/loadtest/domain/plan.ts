/**
 * What a load test runs: one step per fleet size (vehicles of one model, each sending its model's full CAN traffic
 * in `rateHz` batches per second), each step `stepSeconds` long of which the first `warmupSeconds` are not
 * measured. The run is bounded: `maxSeconds` cuts it short (the step in progress is reported as cut).
 */
export interface LoadPlan {
  readonly modelId: string;
  /** Vehicles per step, strictly increasing. */
  readonly steps: readonly number[];
  readonly stepSeconds: number;
  readonly warmupSeconds: number;
  readonly rateHz: number;
  /** Hard bound on the whole run, set-up and drain included. */
  readonly maxSeconds: number;
  /** The step holds when publish → stored p99 is at most this. */
  readonly budgetMs: number;
  /** Keep stepping up after a step that did not hold. */
  readonly continueAfterFailure: boolean;
}

/** "1,2,4,8" → [1, 2, 4, 8]; strictly increasing positive integers, or a message naming what is wrong. */
export function parseSteps(text: string): number[] | string {
  const parts = text.split(',').map((s) => s.trim());
  const steps: number[] = [];
  for (const part of parts) {
    const n = Number(part);
    if (part === '' || !Number.isInteger(n) || n < 1 || n > 10_000)
      return `step "${part}" must be a vehicle count in 1..10000`;
    if (steps.length > 0 && n <= steps[steps.length - 1]!) return `steps must increase (got ${text})`;
    steps.push(n);
  }
  return steps;
}

/** Seconds the steps take at most (without set-up and drain). */
export function stepsSeconds(plan: Pick<LoadPlan, 'steps' | 'stepSeconds'>): number {
  return plan.steps.length * plan.stepSeconds;
}

/** Offered load of a step: vehicles × the model's frames per second. */
export function offeredFramesPerS(vehicles: number, modelFramesPerS: number): number {
  return vehicles * modelFramesPerS;
}
