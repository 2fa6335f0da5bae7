import { describe, expect, it } from '@jest/globals';
import { blockingKeys, candidatePairs } from './blocking.js';
import type { PersonFeatures } from './comparisons.js';

describe('blockingKeys', () => {
  it('files typo-ridden copies of one person under a shared key', () => {
    const shared = (a: PersonFeatures, b: PersonFeatures): string[] =>
      blockingKeys(a).filter((k) => blockingKeys(b).includes(k));
    // Same dob, different names.
    expect(
      shared({ firstName: 'Evie', dob: '2015-03-03' }, { lastName: 'Dean', dob: '2015-03-03' }),
    ).toContain('d:2015-03-03');
    // Surname typo that sounds the same, dob typo.
    expect(
      shared(
        { firstName: 'Lola', lastName: 'Brown', dob: '1983-11-06' },
        { firstName: 'Lola', lastName: 'Broun', dob: '1983-12-06' },
      ).length,
    ).toBeGreaterThan(0);
    // Names swapped, dob different.
    expect(
      shared(
        { firstName: 'Caleb', lastName: 'Rowe', dob: '1992-11-20' },
        { firstName: 'Rowe', lastName: 'Caleb', dob: '2003-01-17' },
      ).length,
    ).toBeGreaterThan(0);
    // Only the email local part in common.
    expect(shared({ email: 'lola.b@martinez-jones.net' }, { email: 'lola.b@martinesz-jone.net' })).toEqual([
      'e:lola.b',
    ]);
    // Phone only.
    expect(shared({ phone: '+442079460958' }, { phone: '+442079460958' })).toEqual(['p:+442079460958']);
  });

  it('gives no keys to a record with nothing to compare', () => {
    expect(blockingKeys({})).toEqual([]);
  });
});

describe('candidatePairs', () => {
  it('returns each sharing pair once, lower index first', () => {
    const records: PersonFeatures[] = [
      { firstName: 'Jane', lastName: 'Doe', dob: '1985-03-14', email: 'jane@x.com' },
      { firstName: 'Omar', lastName: 'Haddad', dob: '1962-11-02' },
      { firstName: 'Jane', lastName: 'Doe', dob: '1985-03-14', email: 'jane@y.com' },
    ];
    expect(candidatePairs(records)).toEqual([[0, 2]]);
  });

  it('skips blocks above the cap, so one common value does not make every pair a candidate', () => {
    const records: PersonFeatures[] = Array.from({ length: 50 }, (_, i) => ({
      dob: '1990-01-01',
      email: `person${i}@x.com`,
    }));
    expect(candidatePairs(records, 60)).toHaveLength((50 * 49) / 2);
    expect(candidatePairs(records, 40)).toHaveLength(0);
  });

  it('grows about linearly: 20 copies of 500 distinct people give little beyond their own pairs', () => {
    const letters = (n: number): string =>
      Array.from({ length: 4 }, (_, k) => 'bdfgklmnprstvz'[Math.floor(n / 14 ** k) % 14]).join('') + 'a';
    const records: PersonFeatures[] = [];
    for (let copy = 0; copy < 20; copy++) {
      for (let p = 0; p < 500; p++) {
        const dob = `19${String(p % 100).padStart(2, '0')}-0${(p % 9) + 1}-${String((p % 28) + 1).padStart(2, '0')}`;
        records.push({
          firstName: letters(p * 7919),
          lastName: letters(p * 104_729 + 3),
          dob,
          email: `p${p}@x.com`,
        });
      }
    }
    const pairs = candidatePairs(records);
    // The true pairs are 500 × 190 = 95,000; all 10,000 records would be ~50 million pairs.
    expect(pairs.length).toBeGreaterThanOrEqual(95_000);
    expect(pairs.length).toBeLessThan(95_000 * 2);
  });
});
