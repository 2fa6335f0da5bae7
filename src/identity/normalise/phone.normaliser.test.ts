import { describe, expect, it } from '@jest/globals';
import { normalisePhone, normalisePhones, withKnownPhones, type PhoneResult } from './phone.normaliser.js';

describe('normalisePhones', () => {
  const raws = [
    '+447911123456',
    '07911 123456',
    '+44 7911 123 457',
    '020 7946 0958',
    'not a phone',
    '',
    '12',
  ];

  it('gives what normalisePhone gives for each value, valid or not', async () => {
    const all = await normalisePhones(raws, 'GB');
    expect([...all.keys()]).toEqual(raws.map((r) => `GB|${r}`));
    for (const raw of raws) expect(all.get(`GB|${raw}`)).toEqual(normalisePhone(raw, 'GB'));
    expect(all.get('GB|07911 123456')).toEqual({ ok: true, value: '+447911123456' });
    expect(all.get('GB|not a phone')!.ok).toBe(false);
  });

  it('answers normalisePhone inside withKnownPhones only', () => {
    const known = new Map<string, PhoneResult>([['GB|07911 123458', { ok: true, value: '+440000000000' }]]);
    expect(withKnownPhones(known, () => normalisePhone('07911 123458', 'GB'))).toEqual({
      ok: true,
      value: '+440000000000',
    });
    expect(normalisePhone('07911 123458', 'GB')).toEqual({ ok: true, value: '+447911123458' });
  });
});
