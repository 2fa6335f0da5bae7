import { createRng, type Rng } from './seeded-random.js';
import {
  COMPANIES,
  DEPARTMENTS,
  FIRST_NAMES,
  GB_CITIES,
  GB_EMAIL_DOMAINS,
  LAST_NAMES,
  NICKNAMES,
  STREETS,
  US_CITIES,
  US_EMAIL_DOMAINS,
  type Department,
} from './population.data.js';

export type SystemCategory = 'crm' | 'billing' | 'contact_centre' | 'hr' | 'social';
export const SYSTEM_CATEGORIES: readonly SystemCategory[] = [
  'crm',
  'billing',
  'contact_centre',
  'hr',
  'social',
];

export type Country = 'GB' | 'US';
export type PhoneStyle = 'e164' | 'international' | 'national' | 'idd' | 'dashed' | 'dotted';

export interface SimPhone {
  e164: string;
  country: Country;
  kind: 'mobile' | 'home';
  /** digit groups after the country code, e.g. ['20', '7946', '0958'] */
  groups: string[];
  /** set when the number is a household landline shared by 2–5 people */
  householdId: string | null;
}

export interface SimAddress {
  line1: string;
  city: string;
  region: string | null;
  postcode: string;
  country: Country;
}

export interface SimSocial {
  /** X user id is stable; the handle can change (older handles listed, oldest first) */
  x: { userId: string; handle: string; previousHandles: string[] } | null;
  /** Facebook page-scoped ids: a different id per page for the same person */
  facebook: { pageScopedIds: Record<string, string> } | null;
  /** Instagram-scoped id (per business account) and username */
  instagram: { scopedId: string; username: string } | null;
}

/** The copy of a person one system holds: its own spelling, email choice and phone format. */
export interface SystemCopy {
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  /** CRM copies sometimes hold an X handle, possibly an old one */
  xHandle: string | null;
  /** what was altered from the truth, e.g. `lastName:swap`, `email:gmail-dots`, `firstName:nickname` */
  alterations: string[];
}

export interface SimPerson {
  /** ground truth: every copy of this person carries it so tests can check recombination */
  personId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  address: SimAddress;
  personalEmail: string;
  workEmail: string | null;
  company: { name: string; domain: string } | null;
  /** a shared role address (support@company) this person gives some systems */
  roleEmail: string | null;
  householdId: string | null;
  phones: SimPhone[];
  social: SimSocial;
  systems: SystemCategory[];
  /** set when this customer is also one of our employees (HR holds them) */
  employeeId: string | null;
  copies: Partial<Record<SystemCategory, SystemCopy>>;
}

export interface SimEmployee {
  employeeId: string;
  /** set when the employee is also a customer in the population */
  personId: string | null;
  firstName: string;
  lastName: string;
  department: Department | 'Executive';
  title: string;
  managerId: string | null;
  workEmail: string;
  personalEmail: string | null;
  workPhone: string;
  x: { userId: string; handle: string } | null;
  hireDate: string;
  location: string;
}

export interface SimHousehold {
  householdId: string;
  phone: string;
  address: SimAddress;
  memberIds: string[];
}

export interface Population {
  seed: string | number;
  organisation: { name: string; domain: string };
  /** Facebook pages and the Instagram business account the social simulators serve */
  pages: { facebook: { id: string; name: string }[]; instagramBusinessId: string };
  people: SimPerson[];
  employees: SimEmployee[];
  households: SimHousehold[];
}

export interface PopulationOptions {
  seed: string | number;
  people: number;
  employees: number;
}

/** The view a given system holds of a person, or null when the person is not in that system. */
export interface SimPersonView {
  personId: string;
  system: SystemCategory;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  dateOfBirth: string | null;
  address: SimAddress | null;
  company: string | null;
  xHandle: string | null;
  social: SimSocial | null;
  employeeId: string | null;
}

// more area codes for mobiles, since each has only the 100 fictional 555-01xx numbers
const US_MOBILE_AREAS = [
  '201',
  '202',
  '305',
  '404',
  '503',
  '602',
  '646',
  '702',
  '713',
  '720',
  '786',
  '917',
  '929',
  '971',
];
const ORGANISATION = { name: 'Touchpoint Demo Ltd', domain: 'touchpoint-demo.co.uk' };
const FACEBOOK_PAGES = [
  { id: '104417925581001', name: 'Touchpoint Demo' },
  { id: '104417925581002', name: 'Touchpoint Demo Help' },
];
// a fixed reference date keeps output independent of when it is generated
const EPOCH = Date.UTC(2026, 0, 1);

export function formatPhone(phone: Pick<SimPhone, 'country' | 'groups'>, style: PhoneStyle): string {
  const g = phone.groups;
  const [a = '', b = '', c = ''] = g;
  if (phone.country === 'GB') {
    switch (style) {
      case 'e164':
        return `+44${g.join('')}`;
      case 'international':
        return `+44 ${g.join(' ')}`;
      case 'idd':
        return `0044 ${g.join(' ')}`;
      case 'dashed':
        return `0${a}-${g.slice(1).join('')}`;
      case 'dotted':
      case 'national':
        return `0${a} ${g.slice(1).join(' ')}`;
    }
  }
  switch (style) {
    case 'e164':
      return `+1${g.join('')}`;
    case 'international':
      return `+1 ${a} ${b} ${c}`;
    case 'idd':
      return `1-${a}-${b}-${c}`;
    case 'dashed':
      return `${a}-${b}-${c}`;
    case 'dotted':
      return `${a}.${b}.${c}`;
    case 'national':
      return `(${a}) ${b}-${c}`;
  }
}

const PHONE_STYLES: Record<Country, readonly (readonly [PhoneStyle, number])[]> = {
  GB: [
    ['international', 3],
    ['national', 4],
    ['idd', 1],
    ['e164', 2],
    ['dashed', 1],
  ],
  US: [
    ['national', 4],
    ['dashed', 3],
    ['international', 1],
    ['dotted', 1],
    ['e164', 1],
    ['idd', 1],
  ],
};

function ascii(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/** One plausible typing slip in a word: adjacent swap, dropped or doubled letter. */
function typo(rng: Rng, word: string): { value: string; kind: string } {
  if (word.length < 4) return { value: word + word.at(-1), kind: 'double' };
  const i = rng.int(1, word.length - 2);
  const kind = rng.pick(['swap', 'drop', 'double'] as const);
  if (kind === 'swap') {
    const swapped = word.slice(0, i) + word.charAt(i + 1) + word.charAt(i) + word.slice(i + 2);
    if (swapped !== word) return { value: swapped, kind };
  }
  if (kind === 'drop') return { value: word.slice(0, i) + word.slice(i + 1), kind };
  return { value: word.slice(0, i) + word.charAt(i) + word.slice(i), kind: 'double' };
}

class PhoneAllocator {
  private readonly used = new Set<string>();
  private readonly rng: Rng;
  constructor(rng: Rng) {
    this.rng = rng;
  }

  private claim(make: () => SimPhone): SimPhone {
    for (let attempt = 0; attempt < 200; attempt++) {
      const p = make();
      if (!this.used.has(p.e164)) {
        this.used.add(p.e164);
        return p;
      }
    }
    throw new Error('phone number ranges exhausted: generate fewer people');
  }

  landline(country: Country, cityIndex: number, householdId: string | null): SimPhone {
    return this.claim(() => {
      if (country === 'GB') {
        const city = GB_CITIES[cityIndex % GB_CITIES.length] ?? GB_CITIES[0];
        const line = `0${String(this.rng.int(0, 999)).padStart(3, '0')}`;
        const groups = [city.area, city.prefix, line];
        return { e164: `+44${groups.join('')}`, country, kind: 'home', groups, householdId };
      }
      const city = US_CITIES[cityIndex % US_CITIES.length] ?? US_CITIES[0];
      const groups = [city.area, '555', `01${String(this.rng.int(0, 99)).padStart(2, '0')}`];
      return { e164: `+1${groups.join('')}`, country, kind: 'home', groups, householdId };
    });
  }

  mobile(country: Country): SimPhone {
    return this.claim(() => {
      if (country === 'GB') {
        // Ofcom's drama block is 07700 900000–900999; larger populations spill into 9010xx–9099xx
        const block = this.used.size < 700 ? 900 : this.rng.int(900, 909);
        const groups = ['7700', `${block}${String(this.rng.int(0, 999)).padStart(3, '0')}`];
        return { e164: `+44${groups.join('')}`, country, kind: 'mobile', groups, householdId: null };
      }
      const groups = [
        this.rng.pick(US_MOBILE_AREAS),
        '555',
        `01${String(this.rng.int(0, 99)).padStart(2, '0')}`,
      ];
      return { e164: `+1${groups.join('')}`, country, kind: 'mobile', groups, householdId: null };
    });
  }
}

interface Place {
  country: Country;
  cityIndex: number;
  address: SimAddress;
}

function makePlace(rng: Rng): Place {
  const country: Country = rng.chance(0.7) ? 'GB' : 'US';
  if (country === 'GB') {
    const cityIndex = rng.weighted(GB_CITIES.map((c, i) => [i, c.city === 'London' ? 4 : 1] as const));
    const city = GB_CITIES[cityIndex] ?? GB_CITIES[0];
    const letters = 'ABDEFGHJLNPQRSTUWXYZ';
    const postcode = `${rng.pick(city.postcodes)} ${rng.int(1, 9)}${rng.pick([...letters])}${rng.pick([...letters])}`;
    return {
      country,
      cityIndex,
      address: {
        line1: `${rng.int(1, 180)} ${rng.pick(STREETS)}`,
        city: city.city,
        region: null,
        postcode,
        country,
      },
    };
  }
  const cityIndex = rng.int(0, US_CITIES.length - 1);
  const city = US_CITIES[cityIndex] ?? US_CITIES[0];
  return {
    country,
    cityIndex,
    address: {
      line1: `${rng.int(10, 9800)} ${rng.pick(STREETS)}`,
      city: city.city,
      region: city.state,
      postcode: rng.digits(5),
      country,
    },
  };
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * A deterministic population (same options ⇒ deep-equal output) whose identities overlap across
 * systems the way real ones do: shared household landlines, shared role addresses, handles
 * without phones, typos and format differences per system. `personId` is the ground truth.
 */
export function generatePopulation(options: PopulationOptions): Population {
  const root = createRng(`population:${options.seed}`);
  const rng = root.fork('people');
  const phones = new PhoneAllocator(root.fork('phones'));
  const usedEmails = new Set<string>();
  const usedHandles = new Set<string>();
  const people: SimPerson[] = [];
  const households: SimHousehold[] = [];

  const uniqueEmail = (local: string, domain: string): string => {
    let candidate = `${local}@${domain}`;
    for (let n = 2; usedEmails.has(candidate); n++) candidate = `${local}${n}@${domain}`;
    usedEmails.add(candidate);
    return candidate;
  };
  const uniqueHandle = (base: string): string => {
    let candidate = base.slice(0, 15);
    for (let n = rng.int(1, 99); usedHandles.has(candidate.toLowerCase()); n++)
      candidate = `${base.slice(0, 12)}${n}`;
    usedHandles.add(candidate.toLowerCase());
    return candidate;
  };
  const xUserIds = new Set<string>();
  const snowflake = (): string => {
    let id = rng.digits(rng.pick([10, 18, 19]));
    while (xUserIds.has(id)) id = rng.digits(19);
    xUserIds.add(id);
    return id;
  };

  const personalEmailFor = (first: string, last: string, country: Country): string => {
    const f = ascii(first);
    const l = ascii(last);
    const domain = rng.pick(country === 'GB' ? GB_EMAIL_DOMAINS : US_EMAIL_DOMAINS);
    const local = rng.weighted<string>([
      [`${f}.${l}`, 4],
      [`${f}${l}`, 2],
      [`${f.charAt(0)}${l}`, 2],
      [`${f}.${l}${rng.int(1, 99)}`, 2],
      [`${l}.${f}`, 1],
      [`${f}_${l}${rng.int(70, 99)}`, 1],
    ]);
    return uniqueEmail(local, domain);
  };

  const makeSocial = (first: string, last: string, forceSome: boolean): SimSocial => {
    const f = ascii(first);
    const l = ascii(last);
    const hasX = rng.chance(forceSome ? 0.75 : 0.4);
    const hasFb = rng.chance(forceSome ? 0.5 : 0.3);
    let hasIg = rng.chance(forceSome ? 0.45 : 0.25);
    if (forceSome && !hasX && !hasFb) hasIg = true;
    let x: SimSocial['x'] = null;
    if (hasX) {
      const handle = uniqueHandle(
        rng.pick([
          `${f}${l}`,
          `${f}_${l.charAt(0)}`,
          `the${f}${l}`,
          `${f}${l.charAt(0)}${rng.int(1, 99)}`,
          `${l}${f}`,
        ]),
      );
      // some people rename themselves: the id stays, the handle changes
      const previousHandles = rng.chance(0.15) ? [uniqueHandle(`${f}${rng.int(100, 999)}`)] : [];
      x = { userId: snowflake(), handle, previousHandles };
    }
    const facebook: SimSocial['facebook'] = hasFb
      ? {
          pageScopedIds: Object.fromEntries(
            FACEBOOK_PAGES.filter((_, i) => i === 0 || rng.chance(0.35)).map((p) => [p.id, rng.digits(16)]),
          ),
        }
      : null;
    const instagram: SimSocial['instagram'] = hasIg
      ? { scopedId: rng.digits(17), username: uniqueHandle(`${f}.${l}`.slice(0, 14)) }
      : null;
    return { x, facebook, instagram };
  };

  const makePerson = (
    place: Place,
    householdId: string | null,
    sharedLastName: string | null,
    homePhone: SimPhone | null,
  ): SimPerson => {
    const personId = `P${String(people.length + 1).padStart(5, '0')}`;
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = sharedLastName ?? rng.pick(LAST_NAMES);
    const socialOnly = householdId === null && rng.chance(0.1);
    const dob = isoDate(EPOCH - rng.int(18 * 365, 75 * 365) * 86_400_000);
    const personalEmail = personalEmailFor(firstName, lastName, place.country);
    const employer = !socialOnly && rng.chance(0.45) ? rng.pick(COMPANIES) : null;
    const workEmail = employer
      ? uniqueEmail(
          rng.chance(0.7)
            ? `${ascii(firstName)}.${ascii(lastName)}`
            : `${ascii(firstName).charAt(0)}${ascii(lastName)}`,
          employer.domain,
        )
      : null;
    const personPhones: SimPhone[] = [];
    if (!socialOnly) {
      if (rng.chance(homePhone ? 0.6 : 0.85)) personPhones.push(phones.mobile(place.country));
      if (homePhone) personPhones.push(homePhone);
      else if (rng.chance(0.25) || personPhones.length === 0)
        personPhones.push(phones.landline(place.country, place.cityIndex, null));
    }
    const social = makeSocial(firstName, lastName, socialOnly);
    const hasSocial = social.x !== null || social.facebook !== null || social.instagram !== null;
    const systems: SystemCategory[] = [];
    if (socialOnly) systems.push('social');
    else {
      if (rng.chance(0.85)) systems.push('crm');
      if (rng.chance(0.55)) systems.push('billing');
      if (rng.chance(0.4)) systems.push('contact_centre');
      if (hasSocial && rng.chance(0.7)) systems.push('social');
      if (systems.length === 0) systems.push('crm');
    }
    const person: SimPerson = {
      personId,
      firstName,
      lastName,
      dateOfBirth: dob,
      address: { ...place.address },
      personalEmail,
      workEmail,
      company: employer ? { name: employer.name, domain: employer.domain } : null,
      roleEmail: null,
      householdId,
      phones: personPhones,
      social,
      systems,
      employeeId: null,
      copies: {},
    };
    people.push(person);
    return person;
  };

  // people come alone or in households of 2–5 sharing an address and a landline
  while (people.length < options.people) {
    const place = makePlace(rng);
    const room = options.people - people.length;
    if (room >= 2 && rng.chance(0.12)) {
      const householdId = `H${String(households.length + 1).padStart(4, '0')}`;
      const size = Math.min(room, rng.int(2, 5));
      const landline = phones.landline(place.country, place.cityIndex, householdId);
      const family = rng.chance(0.75) ? rng.pick(LAST_NAMES) : null; // otherwise flatmates
      const members = Array.from({ length: size }, () => makePerson(place, householdId, family, landline));
      households.push({
        householdId,
        phone: landline.e164,
        address: { ...place.address },
        memberIds: members.map((m) => m.personId),
      });
    } else {
      makePerson(place, null, null, null);
    }
  }

  // role addresses: staff of a few small firms give the shared support@/info@ address to
  // billing and the contact centre; the first firm always has several unrelated users
  const roleRng = root.fork('roles');
  const eligible = people.filter(
    (p) => p.systems.some((s) => s === 'billing' || s === 'contact_centre') && p.phones.length > 0,
  );
  const seenHouseholds = new Set<string>();
  const forced = roleRng.shuffle(eligible).filter((p) => {
    if (p.householdId === null) return true;
    if (seenHouseholds.has(p.householdId)) return false;
    seenHouseholds.add(p.householdId);
    return true;
  });
  const firstFirm = COMPANIES[0];
  const forcedCount = people.length >= 10 ? Math.min(4, Math.max(2, Math.floor(people.length / 25))) : 0;
  forced.slice(0, forcedCount).forEach((p) => {
    if (!p.systems.includes('billing')) p.systems.push('billing');
    p.company = { name: firstFirm.name, domain: firstFirm.domain };
    p.workEmail = uniqueEmail(`${ascii(p.firstName)}.${ascii(p.lastName)}`, firstFirm.domain);
    p.roleEmail = `${firstFirm.roleLocal}@${firstFirm.domain}`;
  });
  for (const p of people) {
    if (p.company && p.roleEmail === null && roleRng.chance(0.15)) {
      const firm = COMPANIES.find((c) => c.domain === p.company?.domain);
      if (firm) p.roleEmail = `${firm.roleLocal}@${firm.domain}`;
    }
  }

  const employees = generateEmployees(
    root.fork('employees'),
    options.employees,
    people,
    phones,
    uniqueHandle,
    snowflake,
  );

  const copyRng = root.fork('copies');
  for (const p of people) {
    for (const system of p.systems) p.copies[system] = makeCopy(copyRng, p, system);
  }

  return {
    seed: options.seed,
    organisation: { ...ORGANISATION },
    pages: { facebook: FACEBOOK_PAGES.map((pg) => ({ ...pg })), instagramBusinessId: '17841400000000001' },
    people,
    employees,
    households,
  };
}

function generateEmployees(
  rng: Rng,
  count: number,
  people: SimPerson[],
  phones: PhoneAllocator,
  uniqueHandle: (base: string) => string,
  snowflake: () => string,
): SimEmployee[] {
  const employees: SimEmployee[] = [];
  const usedWork = new Set<string>();
  const departments = Object.keys(DEPARTMENTS) as Department[];
  const heads = new Map<string, string>();
  const candidates = rng.shuffle(
    people.filter((p) => !(p.systems.length === 1 && p.systems[0] === 'social')),
  );
  for (let i = 0; i < count; i++) {
    const employeeId = String(1001 + i);
    // about one employee in eight is also a customer
    const asPerson = i > 0 && rng.chance(0.12) ? candidates.pop() : undefined;
    const firstName = asPerson?.firstName ?? rng.pick(FIRST_NAMES);
    const lastName = asPerson?.lastName ?? rng.pick(LAST_NAMES);
    let department: Department | 'Executive';
    let title: string;
    let managerId: string | null;
    if (i === 0) {
      department = 'Executive';
      title = 'Chief Executive';
      managerId = null;
    } else {
      department = departments[(i - 1) % departments.length] ?? 'Support';
      const head = heads.get(department);
      if (head === undefined) {
        heads.set(department, employeeId);
        title = `Head of ${department}`;
        managerId = employees[0]?.employeeId ?? null;
      } else {
        title = rng.pick(DEPARTMENTS[department]);
        managerId = head;
      }
    }
    let local = `${ascii(firstName)}.${ascii(lastName)}`;
    for (let n = 2; usedWork.has(local); n++) local = `${ascii(firstName)}.${ascii(lastName)}${n}`;
    usedWork.add(local);
    const onX = department === 'Social' || department === 'Support' ? rng.chance(0.8) : rng.chance(0.2);
    const phone = phones.landline('GB', 0, null);
    const employee: SimEmployee = {
      employeeId,
      personId: asPerson?.personId ?? null,
      firstName,
      lastName,
      department,
      title,
      managerId,
      workEmail: `${local}@${ORGANISATION.domain}`,
      personalEmail: asPerson?.personalEmail ?? null,
      workPhone: formatPhone(phone, 'international'),
      x: onX ? { userId: snowflake(), handle: uniqueHandle(`${ascii(firstName)}_TPD`) } : null,
      hireDate: isoDate(EPOCH - rng.int(30, 12 * 365) * 86_400_000),
      location: rng.weighted([
        ['London', 6],
        ['Manchester', 3],
        ['Remote', 2],
      ]),
    };
    if (asPerson) {
      asPerson.employeeId = employeeId;
      if (!asPerson.systems.includes('hr')) asPerson.systems.push('hr');
    }
    employees.push(employee);
  }
  return employees;
}

function makeCopy(rng: Rng, p: SimPerson, system: SystemCategory): SystemCopy {
  const alterations: string[] = [];
  let firstName = p.firstName;
  let lastName = p.lastName;
  // HR copies are checked against documents: no slips there
  if (system !== 'hr') {
    if (system === 'crm' && NICKNAMES[firstName] && rng.chance(0.3)) {
      firstName = NICKNAMES[firstName] ?? firstName;
      alterations.push('firstName:nickname');
    } else if (rng.chance(0.06)) {
      const t = typo(rng, firstName);
      firstName = t.value;
      alterations.push(`firstName:${t.kind}`);
    }
    if (rng.chance(0.07)) {
      const t = typo(rng, lastName);
      lastName = t.value;
      alterations.push(`lastName:${t.kind}`);
    }
  }

  let email: string | null = null;
  let phone: string | null = null;
  const mobile = p.phones.find((ph) => ph.kind === 'mobile') ?? null;
  const home = p.phones.find((ph) => ph.kind === 'home') ?? null;
  const style = (): PhoneStyle => rng.weighted(PHONE_STYLES[p.address.country]);
  switch (system) {
    case 'crm': {
      email = p.workEmail && rng.chance(0.6) ? p.workEmail : p.personalEmail;
      const chosen = home?.householdId && (!mobile || rng.chance(0.4)) ? home : (mobile ?? home);
      phone = chosen ? formatPhone(chosen, style()) : null;
      break;
    }
    case 'billing': {
      // the accounts contact of a small firm is its shared inbox
      if (p.roleEmail) {
        email = p.roleEmail;
        alterations.push('email:role');
      } else {
        email = p.personalEmail;
      }
      const chosen = mobile ?? home;
      phone = chosen && rng.chance(0.5) ? formatPhone(chosen, style()) : null;
      break;
    }
    case 'contact_centre': {
      // telephony reports caller ids in E.164; help-desk users often use the shared inbox
      email = p.roleEmail && rng.chance(0.5) ? p.roleEmail : p.personalEmail;
      if (email === p.roleEmail) alterations.push('email:role');
      const chosen = home?.householdId && rng.chance(0.5) ? home : (mobile ?? home);
      phone = chosen ? formatPhone(chosen, 'e164') : null;
      break;
    }
    case 'hr':
      email = p.personalEmail;
      phone = (home ?? mobile) ? formatPhone((home ?? mobile) as SimPhone, 'national') : null;
      break;
    case 'social':
      break; // social platforms give handles and ids, never contact details
  }

  if (email && system !== 'hr' && email !== p.roleEmail) {
    const [local = '', domain = ''] = email.split('@');
    if (domain === 'gmail.com' && rng.chance(0.3)) {
      // gmail ignores dots and +tags: the same mailbox written differently
      email = rng.chance(0.5) ? `${local.replace(/\./g, '')}@${domain}` : `${local}+${system}@${domain}`;
      alterations.push(email.includes('+') ? 'email:plus-tag' : 'email:gmail-dots');
    } else if (rng.chance(0.08)) {
      email = `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase() === domain ? domain : domain.charAt(0).toUpperCase() + domain.slice(1)}`;
      alterations.push('email:case');
    } else if (rng.chance(0.03)) {
      email = `${typo(rng, local).value}@${domain}`;
      alterations.push('email:typo');
    }
  }

  let xHandle: string | null = null;
  if (system === 'crm' && p.social.x && rng.chance(0.25)) {
    xHandle = `@${p.social.x.previousHandles[0] ?? p.social.x.handle}`;
  }
  return { firstName, lastName, email, phone, xHandle, alterations };
}

/**
 * The copy of `person` that `system` holds, with that system's typos and formats, or null
 * when the person is not in it.
 */
export function personViewFor(person: SimPerson, system: SystemCategory): SimPersonView | null {
  const copy = person.copies[system];
  if (!copy || !person.systems.includes(system)) return null;
  const detailed = system === 'crm' || system === 'hr' || system === 'billing';
  return {
    personId: person.personId,
    system,
    firstName: copy.firstName,
    lastName: copy.lastName,
    email: copy.email,
    phone: copy.phone,
    dateOfBirth: system === 'hr' || system === 'crm' ? person.dateOfBirth : null,
    address: detailed ? { ...person.address } : null,
    company: system === 'crm' || system === 'billing' ? (person.company?.name ?? null) : null,
    xHandle: copy.xHandle,
    social: system === 'social' ? person.social : null,
    employeeId: system === 'hr' ? person.employeeId : null,
  };
}

/** Everyone a system holds, as that system's views. */
export function viewsFor(population: Population, system: SystemCategory): SimPersonView[] {
  return population.people.flatMap((p) => {
    const v = personViewFor(p, system);
    return v ? [v] : [];
  });
}
