import type { Logger } from 'pino';

/** Order in which things close: HTTP stops taking work, workers finish theirs, then queues, Redis, logs. */
export const PHASE = { http: 0, workers: 1, queues: 2, redis: 3, logs: 4 } as const;
export type Phase = keyof typeof PHASE;

interface Step {
  name: string;
  phase: Phase;
  close: () => Promise<unknown> | unknown;
}

/**
 * One shutdown registry per process. SIGTERM/SIGINT run every step in phase order, each time-boxed,
 * so a stuck close never keeps the process alive and a worker's in-flight job is either finished
 * or left to BullMQ's stalled-job recovery — never lost, never run twice.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(logger: Logger, timeoutMs: number) {
    this.logger = logger;
    this.timeoutMs = timeoutMs;
  }

  add(name: string, phase: Phase, close: Step['close']): void {
    this.steps.push({ name, phase, close });
  }

  /** Runs all steps once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  /** Installs SIGTERM/SIGINT handlers that run the registry and then exit. */
  installSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.logger.info({ signal }, 'shutting down');
      void this.run(signal).finally(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private async execute(reason: string): Promise<void> {
    const ordered = [...this.steps].sort((a, b) => PHASE[a.phase] - PHASE[b.phase]);
    const deadline = Date.now() + this.timeoutMs;
    for (const step of ordered) {
      const left = Math.max(100, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(step.close),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${left} ms`)), left);
          }),
        ]);
      } catch (err) {
        this.logger.warn({ err, step: step.name, reason }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
