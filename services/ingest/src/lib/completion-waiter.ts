import type { Redis } from 'ioredis';

/**
 * Lets `POST /analyze` wait for a verdict without polling: one subscriber connection per process,
 * and workers publish each finished alert id on the completion channel.
 */
export class CompletionWaiter {
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly waiting = new Map<string, Set<() => void>>();
  private ready: Promise<unknown> | undefined;

  constructor(sub: Redis, channel: string) {
    this.sub = sub;
    this.channel = channel;
    this.sub.on('message', (_ch: string, id: string) => {
      const set = this.waiting.get(id);
      if (!set) return;
      this.waiting.delete(id);
      for (const fn of set) fn();
    });
  }

  start(): Promise<unknown> {
    this.ready ??= this.sub.subscribe(this.channel);
    return this.ready;
  }

  /**
   * Resolves true once every one of `ids` has finished, or false at the deadline. `isDone` reads the
   * store after registering, so a verdict written before the subscription is not missed.
   */
  waitAll(ids: string[], timeoutMs: number, isDone: (ids: string[]) => Promise<boolean[]>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let left = new Set(ids);
      const handlers = new Map<string, () => void>();
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        for (const [id, fn] of handlers) this.waiting.get(id)?.delete(fn);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      for (const id of ids) {
        const fn = () => {
          left.delete(id);
          if (left.size === 0) finish(true);
        };
        handlers.set(id, fn);
        const set = this.waiting.get(id) ?? new Set();
        set.add(fn);
        this.waiting.set(id, set);
      }
      // Verdicts written before we subscribed.
      void isDone(ids).then((done) => {
        left = new Set(ids.filter((_, i) => !done[i] && left.has(ids[i]!)));
        if (left.size === 0) finish(true);
      });
    });
  }

  async close(): Promise<void> {
    this.sub.disconnect();
  }
}
