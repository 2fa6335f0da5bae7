import { describe, expect, it } from '@jest/globals';
import { normalisePhone, PhoneBatch, withKnownPhones, type PhoneResult } from './phone.normaliser.js';

describe('PhoneBatch and withKnownPhones', () => {
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
    const batch = new PhoneBatch(raws, 'GB');
    batch.upTo(raws.length);
    await batch.close();
    const all = batch.results;
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

describe('PhoneBatch', () => {
  it('parses the values in order as far as asked, each as normalisePhone does', async () => {
    const raws = Array.from({ length: 4500 }, (_, k) =>
      k % 3 === 0
        ? `07700 9${String(k).padStart(5, '0')}`
        : k % 3 === 1
          ? `+44 20 7946 ${String(k).padStart(4, '0')}`
          : `no ${k}`,
    );
    const batch = new PhoneBatch(raws, 'GB');
    expect(batch.done).toBe(0);
    batch.upTo(1);
    // One chunk, not the whole batch: the caller goes on with what it has.
    expect(batch.done).toBeGreaterThanOrEqual(1);
    expect(batch.done).toBeLessThan(raws.length);
    expect([...batch.results.keys()]).toEqual(raws.slice(0, batch.done).map((r) => `GB|${r}`));
    batch.upTo(raws.length);
    expect(batch.done).toBe(raws.length);
    expect([...batch.results.keys()]).toEqual(raws.map((r) => `GB|${r}`));
    for (const raw of raws) expect(batch.results.get(`GB|${raw}`)).toEqual(normalisePhone(raw, 'GB'));
    expect(batch.results.get('GB|no 2')!.ok).toBe(false);
    await batch.close();
  });
});
