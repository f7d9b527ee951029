import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertWith, SENSOR_METADATA, signals } from './fixtures.test-support.ts';
import { similarityKey } from './similarity-key.ts';

/**
 * What the attacker writes (content) may only reach the key through the parts the key names, and
 * only folded by fixed rules: every other content field, and a user name from content, leaves the
 * key of a routine alert as it was.
 */
const routine = (over: {
  cmd: string;
  user?: string;
  userMetadata?: boolean;
  message?: string;
  target?: string;
}) =>
  alertWith(
    signals(
      {
        detection: { vendor: 'sysmon', rule_id: '1', rule_name: 'Process Create' },
        host: { name: 'WS-01' },
        process: {
          image: 'C:\\Windows\\System32\\cmd.exe',
          command_line: over.cmd,
          ...(over.user !== undefined ? { user: over.user } : {}),
        },
        ...(over.target !== undefined ? { auth: { target_user: over.target } } : {}),
        ...(over.message !== undefined ? { text: [{ value: over.message, from: 'full_log' }] } : {}),
      },
      [...SENSOR_METADATA, ...(over.userMetadata ? ['process.user'] : [])],
    ),
  );

/** Command lines made of the tokens routine jobs and attacks share. */
const token = fc.constantFrom(
  'cmd',
  '/c',
  'copy',
  'backup.exe',
  '--owner',
  'bob',
  'evil.exe',
  'C:\\Temp\\job41\\out.log',
  '\\\\srv\\logs',
  '10.0.0.5',
  '203.0.113.9',
  '4411',
  '{6F9619FF-8B86-D011-B42D-00C04FC964FF}',
  'curl',
  'http://x/a',
  '\u0000',
  '\u0001url_template\u0000',
);
const command = fc.array(token, { minLength: 1, maxLength: 8 }).map((t) => t.join(' '));

describe('similarity key under attacker-shaped content (property)', () => {
  it('a user name from content, a message or a target user never changes the key', () => {
    fc.assert(
      fc.property(
        command,
        // User names drawn from the command's own tokens too: the ones a fold would have eaten.
        fc.oneof(token, fc.string({ maxLength: 40 })),
        fc.string({ maxLength: 200 }),
        (cmd, user, message) => {
          const plain = similarityKey(routine({ cmd })).key;
          expect(similarityKey(routine({ cmd, user })).key).toBe(plain);
          expect(similarityKey(routine({ cmd, message, target: user })).key).toBe(plain);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('two command lines share a key only when they fold alike: adding a token the folds keep changes it', () => {
    const kept = fc.constantFrom('evil.exe', 'curl', '203.0.113.9', '\\\\srv\\logs', '/c', '--owner');
    fc.assert(
      fc.property(command, kept, (cmd, extra) => {
        expect(similarityKey(routine({ cmd: `${cmd} ${extra}` })).key).not.toBe(
          similarityKey(routine({ cmd })).key,
        );
      }),
      { numRuns: 300 },
    );
  });
});
