import { describe, expect, it } from '@jest/globals';
import type { PersonFeatures } from './comparisons.js';
import {
  DEFAULT_AUTO_ACCEPT_WEIGHT,
  DEFAULT_MATCH_PARAMETERS,
  DEFAULT_SUGGEST_WEIGHT,
} from './default-parameters.js';
import { matchProbability, matchWeight, scorePair, type MatchParameters } from './fellegi-sunter.js';

const jane: PersonFeatures = {
  firstName: 'Jane',
  lastName: 'Doe',
  dob: '1985-03-14',
  city: 'London',
  email: 'jane.doe@example.com',
  phone: '+442079460958',
};

function levelOf(a: PersonFeatures, b: PersonFeatures, field: string): string {
  return scorePair(a, b).comparisons.find((c) => c.field === field)?.level ?? 'absent';
}

describe('scorePair', () => {
  it('auto-accepts the same person typed twice', () => {
    const r = scorePair(jane, { ...jane, firstName: ' JANE ' });
    expect(r.score).toBeGreaterThanOrEqual(DEFAULT_AUTO_ACCEPT_WEIGHT);
    expect(r.probability).toBeGreaterThan(0.99);
  });

  it('scores two strangers far below the suggestion threshold', () => {
    const r = scorePair(jane, {
      firstName: 'Omar',
      lastName: 'Haddad',
      dob: '1962-11-02',
      city: 'Leeds',
      email: 'omar@h.net',
      phone: '+441134960000',
    });
    expect(r.score).toBeLessThan(DEFAULT_SUGGEST_WEIGHT);
    expect(r.score).toBeLessThan(0);
    expect(r.probability).toBeLessThan(0.01);
  });

  it('explains every field, and the weights add up to the score', () => {
    const r = scorePair(jane, { firstName: 'Jayne', lastName: 'Doe', dob: '1985-03-14' });
    expect(r.comparisons.map((c) => c.field)).toEqual([
      'firstName',
      'lastName',
      'dob',
      'email',
      'phone',
      'city',
      'address',
      'postcode',
    ]);
    expect(r.comparisons.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(r.score, 10);
    expect(r.comparisons.find((c) => c.field === 'email')).toEqual({
      field: 'email',
      level: 'missing',
      weight: 0,
    });
    expect(r.comparisons.find((c) => c.field === 'firstName')?.level).toBe('jaro-winkler >= 0.92');
    expect(matchWeight(jane, { firstName: 'Jayne', lastName: 'Doe', dob: '1985-03-14' })).toBeCloseTo(
      r.score,
      10,
    );
  });

  it('gives a missing field no weight either way', () => {
    const withCity = scorePair(
      { firstName: 'Jane', lastName: 'Doe' },
      { firstName: 'Jane', lastName: 'Doe', city: 'Leeds' },
    );
    const without = scorePair({ firstName: 'Jane', lastName: 'Doe' }, { firstName: 'Jane', lastName: 'Doe' });
    expect(withCity.score).toBe(without.score);
    expect(scorePair({}, {}).score).toBe(0);
  });

  it('ranks closer names higher: exact > JW ≥ 0.92 > JW ≥ 0.85 > different', () => {
    const w = (name: string): number => matchWeight({ firstName: 'Robert' }, { firstName: name });
    expect(levelOf({ firstName: 'Robert' }, { firstName: 'Rob' }, 'firstName')).toBe('jaro-winkler >= 0.85');
    expect(w('Robert')).toBeGreaterThan(w('Robbert'));
    expect(w('Robbert')).toBeGreaterThan(w('Rob'));
    expect(w('Rob')).toBeGreaterThan(w('Sarah'));
    expect(w('Sarah')).toBeLessThan(0);
  });

  it('recognises names written the other way round', () => {
    const a = { firstName: 'Isla', lastName: 'Hall', dob: '1985-02-07' };
    const b = { firstName: 'Hall', lastName: 'Isla', dob: '1985-02-07' };
    expect(levelOf(a, b, 'firstName')).toBe('exact (names swapped)');
    expect(levelOf(a, b, 'lastName')).toBe('exact (names swapped)');
    expect(matchWeight(a, b)).toBe(matchWeight(a, a));
    // Only when the straight reading is poor: a shared surname is not a swap.
    expect(
      levelOf({ firstName: 'Ann', lastName: 'Ann' }, { firstName: 'Ann', lastName: 'Lee' }, 'firstName'),
    ).toBe('exact');
  });

  it.each([
    ['1985-03-14', 'exact'],
    ['1985-03-15', 'one part differs or day/month swapped'],
    ['1986-03-14', 'one part differs or day/month swapped'],
    ['1985-14-03', 'one part differs or day/month swapped'],
    ['1986-03-15', 'edit distance <= 2'],
    ['1962-11-02', 'different'],
  ])('dob 1985-03-14 vs %s is %s', (dob, level) => {
    expect(levelOf({ dob: '1985-03-14' }, { dob }, 'dob')).toBe(level);
  });

  it.each([
    ['jane.doe@example.com', 'exact'],
    ['jane.doe@other.org', 'same local part'],
    ['jane.do@example.com', 'local part typo (edit distance <= 2, same or near domain)'],
    ['omar@h.net', 'different'],
  ])('email jane.doe@example.com vs %s is %s', (email, level) => {
    expect(levelOf(jane, { email }, 'email')).toBe(level);
  });

  it.each([
    ['jane.doe.12@example.com', 'jane.doe.13@example.com', 'different'],
    ['jdoe1985@example.com', 'jdoe1958@example.com', 'different'],
    ['liam.woodshaw.12@example.com', 'liam.woodbrook.45@example.com', 'different'],
    ['jane.doe@example.com', 'jane.dow@elsewhere.org', 'different'],
    ['robert255@smith.net', 'roberta25@smith.net', 'local part typo (edit distance <= 2, same or near domain)'],
  ])('email %s vs %s (namesakes told apart by their numbers) is %s', (a, b, level) => {
    expect(levelOf({ email: a }, { email: b }, 'email')).toBe(level);
  });

  it.each([
    ['+442079460958', 'exact'],
    ['+442079460959', 'one digit differs'],
    ['+14155552671', 'different'],
  ])('phone vs %s is %s', (phone, level) => {
    expect(levelOf(jane, { phone }, 'phone')).toBe(level);
  });

  it.each([
    ['SW1A 1AA', 'exact'],
    ['sw1a1aa', 'exact'],
    ['SW1A 2AB', 'same outward code'],
    ['M1 1AE', 'different'],
  ])('postcode SW1A 1AA vs %s is %s', (postcode, level) => {
    expect(levelOf({ postcode: 'SW1A 1AA' }, { postcode }, 'postcode')).toBe(level);
  });

  it('compares addresses ignoring case, punctuation and spacing', () => {
    expect(
      levelOf({ address: '10 Downing St., London' }, { address: '10  downing st london' }, 'address'),
    ).toBe('exact');
    expect(levelOf({ address: '10 Downing Street' }, { address: '10 Downing Stret' }, 'address')).toBe(
      'jaro-winkler >= 0.90',
    );
  });

  it('turns weight into probability with the prior, monotonically', () => {
    expect(matchProbability(0)).toBeCloseTo(DEFAULT_MATCH_PARAMETERS.priorMatchProbability, 10);
    expect(matchProbability(10)).toBeGreaterThan(matchProbability(5));
  });

  it('rejects parameters that do not fit the levels, naming the field', () => {
    const bad: MatchParameters = {
      ...DEFAULT_MATCH_PARAMETERS,
      fields: { ...DEFAULT_MATCH_PARAMETERS.fields, dob: { m: [0.9, 0.1], u: [0.1, 0.9] } },
    };
    expect(() => scorePair(jane, jane, bad)).toThrow('match parameters for dob need 4 m and u values');
  });
});
