/**
 * @telltale/diagnostics: the diagnostics service. Consumes vehicle.signals.v1, evaluates the fault rules
 * (@telltale/rules) per vehicle in event time with timers, records alert transitions in PostgreSQL and
 * publishes them to vehicle.alerts.v1, and persists vehicle state. See README.md.
 */
export { runDiagnostics, startDiagnostics, type RunningDiagnostics } from './main.js';
export { DiagnosticsConfig } from './config.js';
// The timer clock per input partition, pure: the chaos run's reference engine follows the same model.
export {
  partitionClock,
  type PartitionClock,
  type PartitionFlow,
  type TimerClockSettings,
} from './domain/timer-clock.js';
