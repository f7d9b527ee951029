import { describe, expect, it } from 'vitest';
import { resolveMitre, tacticOf, techniqueTable } from './mitre.ts';

describe('mitre', () => {
  it('loads the ATT&CK table once, with names', () => {
    const t = techniqueTable();
    expect(t.size).toBeGreaterThan(600);
    expect(t.get('T1110')).toBe('Brute Force');
    expect(techniqueTable()).toBe(t);
  });

  it('validates ids (unknown dropped), de-duplicates, keeps order and adds tactics', () => {
    const r = resolveMitre(['t1110.001', 'T9999', 'T1110.001', 'T1059.001', 'not-an-id']);
    expect(r.map((m) => m.id)).toEqual(['T1110.001', 'T1059.001']);
    expect(r[0]).toEqual({
      id: 'T1110.001',
      name: expect.stringContaining('Password Guessing'),
      tactic: 'credential-access',
    });
    expect(tacticOf('T1595.002')).toBe('reconnaissance');
  });

  it('caps the list', () => {
    expect(
      resolveMitre(['T1110', 'T1059', 'T1078', 'T1021', 'T1003', 'T1190', 'T1105', 'T1071', 'T1046'], 8),
    ).toHaveLength(8);
  });
});
