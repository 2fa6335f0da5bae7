/**
 * The record generator of the identity benches (bench/identity-resolve.bench.ts and
 * bench/identity-bulk.bench.ts) and the bulk tests, so they all resolve the same data: people
 * spread over five systems with realistic overlap (a person is in 1–5 systems; systems share the
 * email or the phone, sometimes only one of them; some records carry a second, personal email;
 * names with small variations).
 * Deterministic for a seed.
 */
import type { CanonicalIdentifier, CanonicalPerson } from '../../connector-kit/canonical.js';
import { mulberry32 } from '../../simulator-kit/seeded-random.js';

const SYSTEMS = ['hubspot', 'salesforce', 'stripe', 'zendesk', 'twilio'] as const;
const FIRST = [
  'Olivia',
  'Liam',
  'Amara',
  'Noah',
  'Sofia',
  'Mateo',
  'Aisha',
  'Lucas',
  'Mei',
  'Omar',
  'Freya',
  'Ivan',
  'Zara',
  'Kofi',
  'Elena',
  'Raj',
];
const LAST_HEAD = [
  'Ash',
  'Brad',
  'Carl',
  'Dun',
  'Ell',
  'Fair',
  'Gold',
  'Hart',
  'Ing',
  'Kings',
  'Lang',
  'Mar',
  'Nor',
  'Oak',
  'Pen',
  'Rad',
  'Stan',
  'Thorn',
  'Wood',
  'Whit',
];
const LAST_TAIL = [
  'ford',
  'ley',
  'ton',
  'well',
  'by',
  'field',
  'ham',
  'wick',
  'more',
  'stead',
  'ridge',
  'worth',
  'dale',
  'bury',
  'combe',
  'hurst',
  'wood',
  'brook',
  'shaw',
  'low',
];

export function generateRecords(count: number, seed = 42): { system: string; person: CanonicalPerson }[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: { system: string; person: CanonicalPerson }[] = [];
  for (let p = 0; out.length < count; p++) {
    const first = pick(FIRST);
    // 400 surnames x 16 first names: namesakes exist, as in a real customer base.
    const last = pick(LAST_HEAD) + pick(LAST_TAIL);
    const email = `${first}.${last}.${p}@example.com`.toLowerCase();
    const phone = `+447${String(400000000 + p).padStart(9, '0')}`;
    const dob = `19${50 + Math.floor(rand() * 50)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
    const systems = SYSTEMS.filter(() => rand() < 0.5);
    if (!systems.length) systems.push(pick(SYSTEMS));
    for (const system of systems) {
      if (out.length >= count) break;
      const ids: CanonicalIdentifier[] = [];
      const r = rand();
      if (r < 0.75) ids.push({ kind: 'email', value: rand() < 0.2 ? email.toUpperCase() : email });
      if (r > 0.5) ids.push({ kind: 'phone', value: phone });
      if (rand() < 0.1) ids.push({ kind: 'email', value: `${first}${p}@mail.example.net`.toLowerCase() });
      ids.push({ kind: 'external', namespace: `${system}:contact`, value: `c${p}` });
      out.push({
        system,
        person: {
          objectType: 'contact',
          externalId: `c${p}`,
          updatedAt: new Date(Date.UTC(2026, 0, 1) + p * 1000),
          traits: {
            firstName: rand() < 0.1 ? first.slice(0, 3) : first,
            lastName: last,
            ...(rand() < 0.6 ? { dob } : {}),
            city: pick(['Leeds', 'York', 'Bristol', 'Cardiff']),
          },
          identifiers: ids,
        },
      });
    }
  }
  // Sources deliver in their own order, not person by person.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
