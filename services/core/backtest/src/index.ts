/**
 * Rule backtests: a rule replayed over the archived history (the Parquet archive of `telltale archive`, read through
 * its manifest with DuckDB) in event time, through the rule engine diagnostics runs live. README.md.
 */
export { compileBacktestRule } from './compile.js';
export { RuleReplay, type ReplayVehicle, type ReplayedVehicle, type RuleReplayOptions } from './replay.js';
export {
  diffTransitions,
  summarize,
  transitionView,
  type BacktestSummary,
  type DiffEntry,
  type Flap,
  type LiveTransition,
  type SummaryInput,
  type TransitionDiff,
  type TransitionView,
  type VehicleSummary,
} from './report.js';
export {
  archivedFiles,
  openArchiveReader,
  groupByHour,
  readHourGroup,
  type ArchivedFile,
  type HourGroup,
  type ModelSelection,
  type SampleColumns,
} from './archive-samples.js';
export { mergeRuns, MergeBuffers, RunMerger, type MergerInput } from './run-merger.js';
export { liveTransitions } from './pg-live-transitions.js';
export {
  DEFAULT_FLAP_WINDOW_MS,
  runBacktest,
  type BacktestProgress,
  type BacktestRequest,
  type BacktestResult,
} from './run-backtest.js';
