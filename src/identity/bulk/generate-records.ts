/**
 * The record generator of the identity benches (bench/identity-resolve.bench.ts and
 * bench/identity-bulk.bench.ts) and the bulk tests, so they all resolve the same data.
 * Deterministic for a seed (mulberry32); the name, city and company pools are the same for every
 * seed (built from a fixed seed), only who gets what changes.
 *
 * The population (what a real customer base looks like to the matcher):
 * - 4,000 first names and 10,000 surnames (syllable-built, so similar-looking names exist, as
 *   Jon/John do), drawn with a Zipf-Mandelbrot skew: the commonest first name is 2.0% of people
 *   and two strangers share a first name with probability 0.4% (the shipped u of the name fields
 *   is 0.6%), surnames 1.3% / 0.2%;
 * - 400 cities, Zipf skew (the biggest 14% of people, strangers share a city 4%; the shipped u
 *   is 5.5%); dates of birth 1940–2007, any month and day 1–28;
 * - 60% employed at one of 12,000 companies (a work email), everyone a personal email at one of
 *   six mail providers and a mobile; namesakes at one provider or company get a digit, as real
 *   mailboxes do;
 * - 25% of people share a household with the previous person (same city, usually the same
 *   surname, a shared landline that household members give to the contact centre and billing).
 *
 * Each person is in the five systems the issue lists, independently: CRM (salesforce, 70%),
 * contact centre (zendesk, 45%), billing (stripe, 50%), social (x, 25%) and HR (bamboohr, 4%, the
 * people who work for us), at least one. What each system holds:
 * - CRM: names, city, dob for 40%, the work email (if any, 60%) else the personal one, the mobile
 *   for 70% in one of three formats (+447…, 07… with a space, +44 7… with spaces);
 * - contact centre: names as typed by an agent (5% a typo, 8% a shortened first name), the personal
 *   email for 80% (1% of records: the person's company support@ address instead: a role address
 *   shared by colleagues), the mobile for 50%, the household landline for 30% of household members,
 *   city for 30%;
 * - billing: names (3% typo), city, the personal email (work email for 25%), the mobile for 30%,
 *   the landline for 20% of household members;
 * - social: an X user id and handle, no phone, names for 70% (first name only for 20%), the
 *   personal email for 15%;
 * - HR: employee id (external `bamboohr:employee`, unique per customer), names, dob, city, work
 *   email at touchpoint.example, personal email for 50%, mobile for 90%.
 * Emails are upper-cased in 10% of records (normalisation undoes it). Sources deliver in their own
 * order, not person by person (the output is shuffled).
 */
import type { CanonicalIdentifier, CanonicalPerson, PersonTraits } from '../../connector-kit/canonical.js';
import { mulberry32 } from '../../simulator-kit/seeded-random.js';

type System = 'salesforce' | 'zendesk' | 'stripe' | 'x' | 'bamboohr';

const FIRST_START = [
  'A',
  'Al',
  'Am',
  'An',
  'Ar',
  'Au',
  'Ba',
  'Be',
  'Bri',
  'Ca',
  'Cha',
  'Cla',
  'Co',
  'Da',
  'De',
  'Di',
  'Do',
  'E',
  'El',
  'Em',
  'Er',
  'Fa',
  'Fe',
  'Fi',
  'Fre',
  'Ga',
  'Ge',
  'Gra',
  'Ha',
  'He',
  'Hu',
  'I',
  'Is',
  'Ja',
  'Je',
  'Jo',
  'Ju',
  'Ka',
  'Ke',
  'Ki',
  'Ko',
  'La',
  'Le',
  'Li',
  'Lo',
  'Lu',
  'Ma',
  'Me',
  'Mi',
  'Mo',
  'Na',
  'Ne',
  'Ni',
  'No',
  'O',
  'Ol',
  'Pa',
  'Pe',
  'Ra',
  'Re',
  'Ri',
  'Ro',
  'Sa',
  'Se',
  'Si',
  'So',
  'Ta',
  'Te',
  'Tho',
  'To',
  'Va',
  'Vi',
  'Wi',
  'Ya',
  'Za',
  'Zo',
];
const FIRST_MID = ['', 'l', 'n', 'r', 'm', 'v', 's', 'th', 'ri', 'li', 'na', 'de', 'ma', 'ro', 'bi', 'ni'];
const FIRST_END = [
  'a',
  'ah',
  'an',
  'anna',
  'e',
  'el',
  'ela',
  'en',
  'ia',
  'ie',
  'in',
  'ina',
  'io',
  'is',
  'o',
  'on',
  'us',
  'y',
  'ya',
  'ette',
  'ard',
  'iel',
];
const LAST_HEAD = [
  'Ash',
  'Bar',
  'Brad',
  'Bright',
  'Brook',
  'Carl',
  'Chad',
  'Clay',
  'Cole',
  'Crom',
  'Dal',
  'Dun',
  'East',
  'Ell',
  'Fair',
  'Farn',
  'Fitz',
  'Gar',
  'Gold',
  'Good',
  'Green',
  'Hal',
  'Hart',
  'Hay',
  'Hol',
  'Ing',
  'Kel',
  'Ken',
  'Kings',
  'Lang',
  'Lind',
  'Mar',
  'Mid',
  'Mill',
  'Mor',
  'New',
  'Nor',
  'Oak',
  'Pem',
  'Pen',
  'Rad',
  'Ram',
  'Red',
  'Ross',
  'Rush',
  'Sal',
  'Sand',
  'Shel',
  'Stan',
  'Stock',
  'Sut',
  'Thorn',
  'Tol',
  'Wal',
  'War',
  'Wes',
  'Whit',
  'Wil',
  'Win',
  'Wood',
];
const LAST_MID = ['', 'er', 'in', 'el', 'an', 'ing'];
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
  'son',
  'man',
  'ington',
  's',
  'er',
  'ock',
  'den',
  'cott',
  'land',
  'gate',
];
const BIG_CITIES = [
  'London',
  'Birmingham',
  'Manchester',
  'Glasgow',
  'Leeds',
  'Liverpool',
  'Bristol',
  'Sheffield',
  'Edinburgh',
  'Cardiff',
  'Leicester',
  'Nottingham',
  'Newcastle',
  'Belfast',
  'Brighton',
  'Hull',
  'Plymouth',
  'Southampton',
  'Reading',
  'Derby',
  'York',
  'Oxford',
  'Cambridge',
  'Norwich',
];
const TOWN_TAIL = [
  'ford',
  'ton',
  'bury',
  'ham',
  'field',
  'chester',
  'wick',
  'mouth',
  'by',
  'stow',
  'minster',
  'port',
];
const COMPANY_TAIL = [
  'tech',
  'group',
  'labs',
  'works',
  'partners',
  'systems',
  'foods',
  'logistics',
  'health',
  'media',
];
const MAIL_PROVIDERS = [
  'gmail.example',
  'outlook.example',
  'yahoo.example',
  'icloud.example',
  'hotmail.example',
  'proton.example',
];
const MAIL_WEIGHTS = [0.45, 0.2, 0.12, 0.1, 0.1, 0.03];

/** Distinct strings from a generator of candidates, in a fixed pseudo-random order. */
function pool(
  size: number,
  seed: number,
  make: (rand: () => number) => string,
  fixed: readonly string[] = [],
): string[] {
  const rand = mulberry32(seed);
  const seen = new Set<string>(fixed);
  const out = [...fixed];
  for (let tries = 0; out.length < size && tries < size * 50; tries++) {
    const s = make(rand);
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}
const pickOf = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Cumulative Zipf-Mandelbrot weights 1 / (rank + q)^s over n values. */
function zipf(n: number, s: number, q: number): Float64Array {
  const cum = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cum[k] = total += 1 / Math.pow(k + 1 + q, s);
  for (let k = 0; k < n; k++) cum[k]! /= total;
  return cum;
}
function draw(cum: Float64Array, u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

let pools:
  | {
      first: string[];
      last: string[];
      cities: string[];
      companies: string[];
      firstCum: Float64Array;
      lastCum: Float64Array;
      cityCum: Float64Array;
    }
  | undefined;
function getPools(): NonNullable<typeof pools> {
  if (pools) return pools;
  const first = pool(4000, 101, (r) => pickOf(r, FIRST_START) + pickOf(r, FIRST_MID) + pickOf(r, FIRST_END));
  const last = pool(
    10_000,
    102,
    (r) => pickOf(r, LAST_HEAD) + pickOf(r, LAST_MID) + pickOf(r, LAST_TAIL).toLowerCase(),
  );
  const cities = pool(400, 103, (r) => pickOf(r, LAST_HEAD) + pickOf(r, TOWN_TAIL), BIG_CITIES);
  const companies = pool(
    12_000,
    104,
    (r) =>
      `${pickOf(r, LAST_HEAD)}${pickOf(r, LAST_TAIL)}${pickOf(r, COMPANY_TAIL)}`.toLowerCase() + '.example',
  );
  pools = {
    first,
    last,
    cities,
    companies,
    firstCum: zipf(first.length, 1.1, 10),
    lastCum: zipf(last.length, 1.0, 10),
    cityCum: zipf(cities.length, 1.2, 1),
  };
  return pools;
}

/** One edit an agent's keyboard makes: two letters swapped, one dropped or one doubled. */
function typo(rand: () => number, s: string): string {
  if (s.length < 4) return s;
  const at = 1 + Math.floor(rand() * (s.length - 2));
  const kind = rand();
  if (kind < 0.4) return s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2);
  if (kind < 0.7) return s.slice(0, at) + s.slice(at + 1);
  return s.slice(0, at) + s[at] + s.slice(at);
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function generateRecords(count: number, seed = 42): { system: string; person: CanonicalPerson }[] {
  const P = getPools();
  const rand = mulberry32(seed);
  const chance = (p: number) => rand() < p;
  const out: { system: string; person: CanonicalPerson }[] = [];
  const usedLocal = new Set<string>();
  const unique = (base: string, domain: string): string => {
    let local = base;
    for (let n = 2; usedLocal.has(`${local}@${domain}`); n++) local = `${base}${n}`;
    usedLocal.add(`${local}@${domain}`);
    return `${local}@${domain}`;
  };
  const mailCum = new Float64Array(MAIL_WEIGHTS.length);
  MAIL_WEIGHTS.reduce((s, w, k) => (mailCum[k] = s + w), 0);
  const phoneFormat = (e164: string): string => {
    // e164: +447xxxxxxxxx
    const national = `0${e164.slice(3)}`;
    const r = rand();
    if (r < 0.4) return e164;
    if (r < 0.75) return `${national.slice(0, 5)} ${national.slice(5)}`;
    return `+44 ${e164.slice(3, 7)} ${e164.slice(7, 10)} ${e164.slice(10)}`;
  };
  const asTyped = (email: string) => (chance(0.1) ? email.toUpperCase() : email);

  let household: { last: string; city: string; landline: string } | undefined;
  let employees = 0;
  for (let p = 0; out.length < count; p++) {
    const joins = household !== undefined && chance(0.25);
    if (!joins) household = undefined;
    const last = joins && chance(0.8) ? household!.last : P.last[draw(P.lastCum, rand())]!;
    const first = P.first[draw(P.firstCum, rand())]!;
    const city = joins ? household!.city : P.cities[draw(P.cityCum, rand())]!;
    const dob = `${1940 + Math.floor(rand() * 68)}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`;
    // A unique mobile per person: p through a bijection of 0..10^9-1.
    const mobile = `+447${pad((p * 7_654_321 + 1_234_567) % 1_000_000_000, 9)}`;
    const personalBase = `${first}.${last}`.toLowerCase();
    const provider = MAIL_PROVIDERS[draw(mailCum, rand())]!;
    const personal = unique(
      chance(0.5) ? personalBase : `${personalBase}${pad(Math.floor(rand() * 100), 2)}`,
      provider,
    );
    const company = chance(0.6) ? P.companies[Math.floor(rand() * P.companies.length)]! : undefined;
    const work = company ? unique(`${first[0]}.${last}`.toLowerCase(), company) : undefined;
    // The next person may join this household; a household's landline is its own.
    const landline = joins ? household!.landline : `+441${pad((p * 3_141_593 + 271_828) % 1_000_000_000, 9)}`;
    if (!joins) {
      household = { last, city, landline };
    }
    const inHousehold = joins || chance(0.25); // the first member of a household is known only later; near enough
    const systems: System[] = [];
    if (chance(0.7)) systems.push('salesforce');
    if (chance(0.45)) systems.push('zendesk');
    if (chance(0.5)) systems.push('stripe');
    if (chance(0.25)) systems.push('x');
    if (chance(0.04)) systems.push('bamboohr');
    if (!systems.length) systems.push(pickOf(rand, ['salesforce', 'zendesk', 'stripe', 'x'] as const));
    for (const system of systems) {
      if (out.length >= count) break;
      const ids: CanonicalIdentifier[] = [];
      const traits: PersonTraits = {};
      let objectType = 'contact';
      let externalId = `c${p}`;
      switch (system) {
        case 'salesforce':
          traits.firstName = first;
          traits.lastName = last;
          traits.city = city;
          if (chance(0.4)) traits.dob = dob;
          ids.push({ kind: 'email', value: asTyped(work && chance(0.6) ? work : personal) });
          if (chance(0.7)) ids.push({ kind: 'phone', value: phoneFormat(mobile) });
          ids.push({ kind: 'external', namespace: 'salesforce:contact', value: `003${pad(p, 12)}` });
          externalId = `003${pad(p, 12)}`;
          break;
        case 'zendesk':
          objectType = 'user';
          traits.firstName = chance(0.08) ? first.slice(0, 3) : chance(0.05) ? typo(rand, first) : first;
          traits.lastName = chance(0.05) ? typo(rand, last) : last;
          if (chance(0.3)) traits.city = city;
          if (company && chance(0.01)) ids.push({ kind: 'email', value: `support@${company}` });
          else if (chance(0.8)) ids.push({ kind: 'email', value: asTyped(personal) });
          if (chance(0.5)) ids.push({ kind: 'phone', value: phoneFormat(mobile) });
          if (inHousehold && chance(0.3)) ids.push({ kind: 'phone', value: landline });
          externalId = `${1000000 + p}`;
          ids.push({ kind: 'external', namespace: 'zendesk:user', value: externalId });
          break;
        case 'stripe':
          objectType = 'customer';
          traits.firstName = chance(0.03) ? typo(rand, first) : first;
          traits.lastName = chance(0.03) ? typo(rand, last) : last;
          traits.city = city;
          ids.push({ kind: 'email', value: asTyped(work && chance(0.25) ? work : personal) });
          if (chance(0.3)) ids.push({ kind: 'phone', value: phoneFormat(mobile) });
          if (inHousehold && chance(0.2)) ids.push({ kind: 'phone', value: landline });
          externalId = `cus_${p.toString(36).padStart(8, '0')}`;
          ids.push({ kind: 'external', namespace: 'stripe:customer', value: externalId });
          break;
        case 'x': {
          objectType = 'user';
          if (chance(0.7)) {
            traits.firstName = first;
            if (chance(0.8)) traits.lastName = last;
          }
          externalId = String(1_500_000_000_000 + p * 7);
          ids.push({ kind: 'social', namespace: 'x', value: externalId });
          const handle = `${first.slice(0, 7)}_${last.slice(0, 4)}${p.toString(36)}`
            .toLowerCase()
            .slice(0, 15);
          ids.push({ kind: 'social', namespace: 'x:handle', value: `@${handle}` });
          if (chance(0.15)) ids.push({ kind: 'email', value: asTyped(personal) });
          break;
        }
        case 'bamboohr': {
          objectType = 'employee';
          externalId = `E${pad(++employees, 6)}-${p}`;
          traits.firstName = first;
          traits.lastName = last;
          traits.dob = dob;
          traits.city = city;
          ids.push({ kind: 'external', namespace: 'bamboohr:employee', value: externalId });
          ids.push({ kind: 'email', value: unique(`${first}.${last}`.toLowerCase(), 'touchpoint.example') });
          if (chance(0.5)) ids.push({ kind: 'email', value: asTyped(personal) });
          if (chance(0.9)) ids.push({ kind: 'phone', value: phoneFormat(mobile) });
          break;
        }
      }
      out.push({
        system,
        person: {
          objectType,
          externalId,
          updatedAt: new Date(Date.UTC(2026, 0, 1) + p * 1000 + out.length),
          traits,
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
