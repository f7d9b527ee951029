import { expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { Shutdown } from './shutdown.ts';

it('closes in phase order, time-boxes a stuck step, and runs once', async () => {
  const order: string[] = [];
  const s = new Shutdown(createLogger('test', 'silent'), 300);
  s.add('redis', 'redis', () => order.push('redis'));
  s.add('stuck worker', 'workers', () => new Promise(() => undefined));
  s.add('http', 'http', () => order.push('http'));
  s.add('queue', 'queues', () => order.push('queue'));
  const t = Date.now();
  await Promise.all([s.run('a'), s.run('b')]);
  expect(order).toEqual(['http', 'queue', 'redis']);
  expect(Date.now() - t).toBeLessThan(2000);
});
