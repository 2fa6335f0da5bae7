import { normaliseLookup } from './lookup.js';

describe('normaliseLookup', () => {
  it('answers a repeated lookup the same, per default region', () => {
    const first = normaliseLookup('phone', '', '020 7946 0018', 'GB');
    expect(first).toEqual({ ok: true, kind: 'phone', namespace: '', value: '+442079460018' });
    expect(normaliseLookup('phone', '', '020 7946 0018', 'GB')).toEqual(first);
    // the same digits under another default region are another number (or none), never the cached one
    const us = normaliseLookup('phone', '', '020 7946 0018', 'US');
    expect(us).not.toEqual(first);
  });

  it('remembers refusals as refusals, and keeps answering after many distinct inputs', () => {
    const bad = normaliseLookup('email', '', 'not-an-email', 'GB');
    expect(bad.ok).toBe(false);
    expect(normaliseLookup('email', '', 'not-an-email', 'GB')).toEqual(bad);
    for (let i = 0; i < 12_000; i++) normaliseLookup('email', '', `p${i}@example.org`, 'GB');
    expect(normaliseLookup('email', '', 'P1@Example.org', 'GB')).toEqual({
      ok: true,
      kind: 'email',
      namespace: '',
      value: 'p1@example.org',
    });
  });
});
