/**
 * Graceful shutdown. Services register what to stop in start-up order; on SIGTERM/SIGINT the steps run in reverse
 * (stop intake, drain in-flight work, commit, close clients), bounded by a timeout, then the process exits.
 */
import type { Logger } from 'pino';

type Step = { name: string; stop: () => Promise<void> | void };

export class Lifecycle {
  private readonly steps: Step[] = [];
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Registers a step; steps stop in reverse order of registration. */
  onShutdown(name: string, stop: Step['stop']): void {
    this.steps.push({ name, stop });
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  /** Runs every step once, newest first; a failing step is logged and the rest still run. */
  shutdown(reason: string): Promise<void> {
    this.shuttingDown ??= this.runSteps(reason);
    return this.shuttingDown;
  }

  /** Exits the process after shutdown on SIGTERM/SIGINT; a second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.isShuttingDown) {
        this.log.warn({ signal }, 'Second signal during shutdown; exiting now.');
        exit(1);
        return;
      }
      const timer = setTimeout(() => {
        this.log.error({ timeoutMs: this.timeoutMs }, 'Shutdown timed out; exiting with work still in flight.');
        exit(1);
      }, this.timeoutMs);
      timer.unref();
      this.shutdown(signal).then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  private async runSteps(reason: string): Promise<void> {
    this.log.info({ reason }, 'Shutting down.');
    let failed = false;
    for (const step of [...this.steps].reverse()) {
      try {
        await step.stop();
        this.log.debug({ step: step.name }, 'Shutdown step done.');
      } catch (err) {
        failed = true;
        this.log.error({ err, step: step.name }, 'Shutdown step failed.');
      }
    }
    this.log.info({ reason, failed }, 'Shutdown complete.');
    if (failed) throw new Error('one or more shutdown steps failed');
  }
}
