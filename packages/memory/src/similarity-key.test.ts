import { describe, expect, it } from 'vitest';
import { alertWith, SENSOR_METADATA, signals } from './fixtures.test-support.ts';
import { alertKey, similarityKey, sourceNetwork } from './similarity-key.ts';

const sysmon = (cmd: string, host = 'WS-01', image = 'C:\\Windows\\System32\\cmd.exe') =>
  alertWith(
    signals(
      {
        detection: { vendor: 'sysmon', rule_id: '1', rule_name: 'Process Create' },
        host: { name: host },
        process: { image, command_line: cmd },
        parent: { image: 'C:\\Windows\\explorer.exe' },
      },
      SENSOR_METADATA,
    ),
  );

describe('similarityKey', () => {
  it('is readable: every part with its value and provenance', () => {
    const k = similarityKey(sysmon('cmd /c dir C:\\Users\\bob\\Documents'));
    expect(k.key).toMatch(/^sim1:[0-9a-f]{32}$/);
    expect(k.anchored).toBe(true);
    expect(k.parts.map((p) => [p.name, p.origin])).toEqual([
      ['detection', 'metadata'],
      ['detection_name', 'metadata'],
      ['host', 'metadata'],
      ['process_image', 'metadata'],
      ['parent_image', 'metadata'],
      ['command_line', 'content'],
    ]);
    expect(k.text).toContain('on host ws-01');
    expect(k.text).toContain('cmd /c dir c:\\users\\<user>\\documents');
  });

  it('twins of routine activity share a key; other activity, hosts or images do not', () => {
    const a = similarityKey(sysmon('cmd /c copy C:\\Temp\\job4411\\out.log \\\\srv\\logs\\20240101.log'));
    const b = similarityKey(sysmon('cmd /c copy C:\\Temp\\job9050\\out.log \\\\srv\\logs\\20240102.log'));
    expect(b.key).toBe(a.key);
    expect(
      similarityKey(sysmon('cmd /c copy C:\\Temp\\job9050\\out.log \\\\evil\\drop\\x.log')).key,
    ).not.toBe(a.key);
    expect(
      similarityKey(sysmon('cmd /c copy C:\\Temp\\job1\\out.log \\\\srv\\logs\\1.log', 'DC-01')).key,
    ).not.toBe(a.key);
    expect(
      similarityKey(
        sysmon('cmd /c copy C:\\Temp\\job1\\out.log \\\\srv\\logs\\1.log', 'WS-01', 'C:\\Temp\\cmd.exe'),
      ).key,
    ).not.toBe(a.key);
  });

  it('is not anchored when the detection is content or no entity is named', () => {
    const contentDetection = alertWith(
      signals({ detection: { rule_name: 'Process Create' }, host: { name: 'WS-01' } }, ['host.name']),
    );
    expect(similarityKey(contentDetection).anchored).toBe(false);
    const noEntity = alertWith(
      signals({ detection: { rule_id: '1', rule_name: 'x' } }, ['detection.rule_id']),
    );
    expect(similarityKey(noEntity).anchored).toBe(false);
    // Records from before typed signals: nothing says who wrote the fields.
    expect(similarityKey(alertWith(undefined, { name: 'x', host: 'h', rule_id: '1' })).anchored).toBe(false);
    // A host of unknown provenance anchors by default (it must still match exactly), not in strict mode.
    const contentHost = alertWith(
      signals({ detection: { rule_name: 'x' }, host: { name: 'WS-01' } }, ['detection.rule_name']),
    );
    expect(similarityKey(contentHost).anchored).toBe(true);
    expect(similarityKey(contentHost).parts.find((p) => p.name === 'host')?.origin).toBe('content');
    expect(similarityKey(contentHost, { metadataEntity: true }).anchored).toBe(false);
  });

  it('hostile content cannot spell another key: a user name it writes folds nothing, control characters stay in their part', () => {
    const job = (cmd: string, user: { user: string; metadata: boolean }) =>
      alertWith(
        signals(
          {
            detection: { vendor: 'sysmon', rule_id: '1', rule_name: 'Process Create' },
            host: { name: 'WS-01' },
            process: { image: 'C:\\Tools\\backup.exe', command_line: cmd, user: user.user },
          },
          [...SENSOR_METADATA, ...(user.metadata ? ['process.user'] : [])],
        ),
      );
    const routine = similarityKey(job('backup.exe --owner bob', { user: 'bob', metadata: true }));
    expect(similarityKey(job('backup.exe --owner ann', { user: 'ann', metadata: true })).key).toBe(
      routine.key,
    );
    // The same shape with a user name the attacker wrote (content): nothing folds, no match.
    expect(similarityKey(job('backup.exe --owner ann', { user: 'ann', metadata: false })).key).not.toBe(
      routine.key,
    );
    expect(
      similarityKey(job('backup.exe --owner evil.exe', { user: 'evil.exe', metadata: false })).key,
    ).not.toBe(routine.key);

    // The digest separates parts with U+0000/U+0001: content holding them must not spell a URL part.
    const web = (cmd: string, url?: string) =>
      alertWith(
        signals(
          {
            detection: { vendor: 'edr', rule_id: '7', rule_name: 'Web client' },
            host: { name: 'WS-01' },
            process: { command_line: cmd },
            ...(url ? { network: { url } } : {}),
          },
          SENSOR_METADATA,
        ),
      );
    const benign = similarityKey(web('curl', 'http://updates.example/feed'));
    const forged = similarityKey(web('curl\u0001url_template\u0000http://updates.example/feed'));
    expect(forged.key).not.toBe(benign.key);
    expect(forged.parts.find((p) => p.name === 'command_line')?.value).toContain('\ufffd');
  });

  it('scope alert is the fingerprint', () => {
    const a = sysmon('x');
    expect(alertKey(a).key).toBe(alertKey({ ...a }).key);
    expect(alertKey(a).key).not.toBe(alertKey({ ...a, fingerprint: 'other' }).key);
  });
});

describe('sourceNetwork', () => {
  it('is the /24 or /64 of an internal address and `external` for a public one', () => {
    expect(sourceNetwork('10.1.2.3')).toBe('10.1.2.0/24');
    expect(sourceNetwork('185.220.101.52')).toBe('external');
    expect(sourceNetwork('fd00:1:2:3::9')).toBe('fd00:1:2:3::/64');
    expect(sourceNetwork('not-an-ip')).toBeUndefined();
  });
});
