import { describe, expect, it } from '@jest/globals';
import { generateRecords } from '../bulk/generate-records.js';
import { compareLevels, LevelCache, preparePerson, type PersonFeatures } from './comparisons.js';

/** People from the bench generator plus hand-made edge cases (swapped names, typos, addresses). */
function people(): PersonFeatures[] {
  const out: PersonFeatures[] = generateRecords(600, 5).map(({ person }) => {
    const t = person.traits ?? {};
    const f: PersonFeatures = {};
    if (typeof t.firstName === 'string') f.firstName = t.firstName;
    if (typeof t.lastName === 'string') f.lastName = t.lastName;
    if (typeof t.dob === 'string') f.dob = t.dob;
    if (typeof t.city === 'string') f.city = t.city;
    const email = person.identifiers.find((i) => i.kind === 'email');
    if (email) f.email = email.value.toLowerCase();
    const phone = person.identifiers.find((i) => i.kind === 'phone');
    if (phone) f.phone = phone.value;
    return f;
  });
  out.push(
    { firstName: 'Hall', lastName: 'Isla', dob: '1977-09-13', email: 'isla.hall@example.com' },
    { firstName: 'Isla', lastName: 'Hall', dob: '1976-09-15', email: 'isla.hal@example.co' },
    { firstName: ' ISLA ', lastName: 'Hal', dob: '1977-13-09', phone: '+447400000001' },
    { address: '1 High St.', postcode: 'LS1 4AP', city: 'Leeds', email: 'nolocal' },
    {
      address: '1 High Street',
      postcode: 'LS1 5AQ',
      city: 'Leads',
      email: 'nolocal2',
      phone: '+447400000002',
    },
    { firstName: 'Isla', phone: '+447400000003' },
    { firstName: 'Isla', phone: '07400 000001' },
    { firstName: 'Isla', phone: '07400 000011' },
    { phone: '+123456789012345678' },
    { phone: '+123456789012345679' },
    {},
  );
  return out;
}

describe('LevelCache', () => {
  it('gives the levels and swap flag compareLevels gives, for every pair, asked twice', () => {
    const ps = people();
    const cache = new LevelCache();
    ps.forEach((p, slot) => cache.set(slot, preparePerson(p)));
    const want = new Int8Array(8);
    const got = new Int8Array(8);
    let differing = 0;
    let swaps = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < ps.length; i += 3) {
        for (let j = 0; j < ps.length; j++) {
          const ws = compareLevels(preparePerson(ps[i]!), preparePerson(ps[j]!), want);
          const gs = cache.compare(i, j, got);
          if (ws) swaps++;
          if (ws !== gs || want.join() !== got.join()) differing++;
        }
      }
    }
    expect(differing).toBe(0);
    expect(swaps).toBeGreaterThan(0);
  });
});
