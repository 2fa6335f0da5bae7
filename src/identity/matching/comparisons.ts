import { distance } from 'fastest-levenshtein';
import { jaroWinkler } from './jaro-winkler.js';

/** What the matcher compares. Email and phone are expected already normalised (see ../normalise). */
export interface PersonFeatures {
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** ISO date YYYY-MM-DD. */
  dob?: string | undefined;
  city?: string | undefined;
  address?: string | undefined;
  postcode?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
}

export const COMPARED_FIELDS = [
  'firstName',
  'lastName',
  'dob',
  'email',
  'phone',
  'city',
  'address',
  'postcode',
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

const NAME_LEVELS = ['exact', 'jaro-winkler >= 0.92', 'jaro-winkler >= 0.85', 'different'] as const;

/** Level labels per field, best first; a comparison's level is an index into this list. */
export const FIELD_LEVELS = {
  firstName: NAME_LEVELS,
  lastName: NAME_LEVELS,
  dob: ['exact', 'one part differs or day/month swapped', 'edit distance <= 2', 'different'],
  email: ['exact', 'same local part', 'local part typo (edit distance <= 2, same or near domain)', 'different'],
  phone: ['exact', 'one digit differs', 'different'],
  city: ['exact', 'jaro-winkler >= 0.85', 'different'],
  address: ['exact', 'jaro-winkler >= 0.90', 'different'],
  postcode: ['exact', 'same outward code', 'different'],
} as const satisfies Record<ComparedField, readonly string[]>;

/** Level index used when either side lacks the field: it then carries no evidence (weight 0). */
export const MISSING = -1;

/** Names and places lower-cased and trimmed once per record, so pair scoring does not redo it. */
export interface PreparedPerson {
  readonly firstName: string | undefined;
  readonly lastName: string | undefined;
  readonly dob: string | undefined;
  readonly email: string | undefined;
  readonly emailLocal: string | undefined;
  readonly phone: string | undefined;
  readonly city: string | undefined;
  readonly address: string | undefined;
  readonly postcode: string | undefined;
}

const SPACES = /\s+/g;
const ADDRESS_PUNCTUATION = /[.,;#]/g;
const UK_POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$/;

function clean(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.trim().toLowerCase();
  return t === '' ? undefined : t;
}

// Scoring many pairs against the same record objects is the common case (blocks, DB candidates),
// so the prepared form is cached per object; a WeakMap lets records be collected normally.
// Callers must therefore not mutate a PersonFeatures object after scoring it: pass a new one.
const prepared = new WeakMap<PersonFeatures, PreparedPerson>();

export function preparePerson(p: PersonFeatures): PreparedPerson {
  const hit = prepared.get(p);
  if (hit !== undefined) return hit;
  const email = clean(p.email);
  const at = email === undefined ? -1 : email.lastIndexOf('@');
  const address = clean(p.address)?.replace(ADDRESS_PUNCTUATION, ' ').replace(SPACES, ' ').trim();
  const postcode = p.postcode?.replace(SPACES, '').toUpperCase();
  const result: PreparedPerson = {
    firstName: clean(p.firstName),
    lastName: clean(p.lastName),
    dob: clean(p.dob),
    email,
    emailLocal: email !== undefined && at > 0 ? email.slice(0, at) : undefined,
    phone: clean(p.phone),
    city: clean(p.city),
    address: address === '' ? undefined : address,
    postcode: postcode === '' ? undefined : postcode,
  };
  prepared.set(p, result);
  return result;
}

function nameLevel(a: string, b: string): number {
  if (a === b) return 0;
  const s = jaroWinkler(a, b);
  return s >= 0.92 ? 1 : s >= 0.85 ? 2 : 3;
}

/**
 * ISO dates differing in exactly one of year, month, day, or with day and month swapped; then
 * up to two typed characters apart (`1977-09-13` / `1976-09-15`), common in keyed-in dates.
 */
function dobLevel(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length !== 10 || b.length !== 10) return distance(a, b) <= 2 ? 2 : 3;
  // Character comparisons rather than slices: this runs for every candidate pair.
  const year = sameRange(a, b, 0, 4);
  const month = sameRange(a, b, 5, 7);
  const day = sameRange(a, b, 8, 10);
  if ((year ? 1 : 0) + (month ? 1 : 0) + (day ? 1 : 0) === 2) return 1;
  if (
    year &&
    a.charCodeAt(5) === b.charCodeAt(8) &&
    a.charCodeAt(6) === b.charCodeAt(9) &&
    a.charCodeAt(8) === b.charCodeAt(5) &&
    a.charCodeAt(9) === b.charCodeAt(6)
  )
    return 1;
  return distance(a, b) <= 2 ? 2 : 3;
}

function sameRange(a: string, b: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

const DIGITS = /[0-9]+/g;

/**
 * Exact; the same mailbox name at another domain; a keyed-in typo (mailbox names at most two
 * characters apart, at the same or a near domain); else different. Similarity over the whole
 * address is no evidence: namesakes at one provider (liam.woodshaw.12@ / liam.woodbrook.45@)
 * share most of their characters. Neither are numbers: john.smith1@ and john.smith2@ are two
 * people who share a name, and the numbers are what tell them apart.
 */
function emailLevel(a: PreparedPerson, b: PreparedPerson): number {
  const ea = a.email as string;
  const eb = b.email as string;
  if (ea === eb) return 0;
  const la = a.emailLocal;
  const lb = b.emailLocal;
  if (la === undefined || lb === undefined) return jaroWinkler(ea, eb) >= 0.88 ? 2 : 3;
  if (la === lb) return 1;
  if (la.replace(DIGITS, '') === lb.replace(DIGITS, '')) return 3;
  const da = ea.slice(la.length + 1);
  const db = eb.slice(lb.length + 1);
  return distance(la, lb) <= 2 && (da === db || distance(da, db) <= 2) ? 2 : 3;
}

function phoneLevel(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length !== b.length) return 2;
  // Same length: edit distance <= 1 is at most one substituted digit.
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i) && ++diff > 1) return 2;
  return 1;
}

function cityLevel(a: string, b: string): number {
  if (a === b) return 0;
  return jaroWinkler(a, b) >= 0.85 ? 1 : 2;
}

function addressLevel(a: string, b: string): number {
  if (a === b) return 0;
  return jaroWinkler(a, b) >= 0.9 ? 1 : 2;
}

/** UK outward code (all but the last 3 characters); elsewhere the first 3 characters (e.g. US ZIP3). */
function postcodeLevel(a: string, b: string): number {
  if (a === b) return 0;
  const uk = UK_POSTCODE.test(a) && UK_POSTCODE.test(b);
  const oa = uk ? a.slice(0, -3) : a.slice(0, 3);
  const ob = uk ? b.slice(0, -3) : b.slice(0, 3);
  return oa.length >= 2 && oa === ob ? 1 : 2;
}

/** Index of each field in a level vector. */
export const FIELD_INDEX = {
  firstName: 0,
  lastName: 1,
  dob: 2,
  email: 3,
  phone: 4,
  city: 5,
  address: 6,
  postcode: 7,
} as const satisfies Record<ComparedField, number>;

/**
 * Fills `out` (length COMPARED_FIELDS.length) with each field's level, MISSING when absent on
 * either side. Returns true when first and last names were compared crossed over, because the
 * two records hold them the other way round ("Hall, Isla" vs "Isla, Hall").
 */
export function compareLevels(a: PreparedPerson, b: PreparedPerson, out: Int8Array): boolean {
  let swapped = false;
  let first =
    a.firstName !== undefined && b.firstName !== undefined ? nameLevel(a.firstName, b.firstName) : MISSING;
  let last =
    a.lastName !== undefined && b.lastName !== undefined ? nameLevel(a.lastName, b.lastName) : MISSING;
  // Swap only when the straight reading is poor and the crossed one is close on both names.
  if (first !== 0 && last !== 0 && first !== MISSING && last !== MISSING) {
    const fx = nameLevel(a.firstName as string, b.lastName as string);
    const lx = nameLevel(a.lastName as string, b.firstName as string);
    if (fx <= 1 && lx <= 1 && fx + lx < first + last) {
      first = fx;
      last = lx;
      swapped = true;
    }
  }
  out[0] = first;
  out[1] = last;
  out[2] = a.dob !== undefined && b.dob !== undefined ? dobLevel(a.dob, b.dob) : MISSING;
  out[3] = a.email !== undefined && b.email !== undefined ? emailLevel(a, b) : MISSING;
  out[4] = a.phone !== undefined && b.phone !== undefined ? phoneLevel(a.phone, b.phone) : MISSING;
  out[5] = a.city !== undefined && b.city !== undefined ? cityLevel(a.city, b.city) : MISSING;
  out[6] = a.address !== undefined && b.address !== undefined ? addressLevel(a.address, b.address) : MISSING;
  out[7] =
    a.postcode !== undefined && b.postcode !== undefined ? postcodeLevel(a.postcode, b.postcode) : MISSING;
  return swapped;
}

/** A prepared person with its names, date of birth and places interned by a LevelCache. */
export interface InternedPerson {
  readonly p: PreparedPerson;
  readonly first: number;
  readonly last: number;
  readonly dob: number;
  readonly city: number;
  readonly address: number;
  readonly postcode: number;
  /** Mailbox name without its digits (emailLevel's namesake rule), computed once. */
  readonly localNoDigits: string | undefined;
}

const DENSE = 2048;
const SPARSE_LIMIT = 2_000_000;

/** Level of an ordered pair of interned values: a dense table for the first DENSE values, a map beyond. */
class PairMemo {
  private readonly dense = new Int8Array(DENSE * DENSE).fill(-2);
  private sparse = new Map<number, number>();

  constructor(private readonly level: (a: string, b: string) => number) {}

  get(a: number, b: number, values: readonly string[]): number {
    if (a < DENSE && b < DENSE) {
      const k = a * DENSE + b;
      let l = this.dense[k]!;
      if (l === -2) this.dense[k] = l = this.level(values[a]!, values[b]!);
      return l;
    }
    const k = a * 0x4000000 + b;
    let l = this.sparse.get(k);
    if (l === undefined) {
      l = this.level(values[a]!, values[b]!);
      if (this.sparse.size >= SPARSE_LIMIT) this.sparse = new Map();
      this.sparse.set(k, l);
    }
    return l;
  }
}

/**
 * compareLevels for many pairs over values that repeat (names, dates of birth, cities): each
 * distinct ordered pair of values is compared once. Gives exactly compareLevels' levels.
 */
export class LevelCache {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];
  private readonly names = new PairMemo(nameLevel);
  private readonly dobs = new PairMemo(dobLevel);
  private readonly cities = new PairMemo(cityLevel);
  private readonly addresses = new PairMemo(addressLevel);
  private readonly postcodes = new PairMemo(postcodeLevel);

  private intern(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  person(f: PersonFeatures): InternedPerson {
    const p = preparePerson(f);
    return {
      p,
      first: this.intern(p.firstName),
      last: this.intern(p.lastName),
      dob: this.intern(p.dob),
      city: this.intern(p.city),
      address: this.intern(p.address),
      postcode: this.intern(p.postcode),
      localNoDigits: p.emailLocal?.replace(DIGITS, ''),
    };
  }

  /** The same as compareLevels(a.p, b.p, out). */
  compare(a: InternedPerson, b: InternedPerson, out: Int8Array): boolean {
    const v = this.values;
    let swapped = false;
    let first = a.first >= 0 && b.first >= 0 ? this.names.get(a.first, b.first, v) : MISSING;
    let last = a.last >= 0 && b.last >= 0 ? this.names.get(a.last, b.last, v) : MISSING;
    if (first !== 0 && last !== 0 && first !== MISSING && last !== MISSING) {
      const fx = this.names.get(a.first, b.last, v);
      const lx = this.names.get(a.last, b.first, v);
      if (fx <= 1 && lx <= 1 && fx + lx < first + last) {
        first = fx;
        last = lx;
        swapped = true;
      }
    }
    out[0] = first;
    out[1] = last;
    out[2] = a.dob >= 0 && b.dob >= 0 ? this.dobs.get(a.dob, b.dob, v) : MISSING;
    out[3] = a.p.email !== undefined && b.p.email !== undefined ? emailLevelInterned(a, b) : MISSING;
    out[4] = a.p.phone !== undefined && b.p.phone !== undefined ? phoneLevel(a.p.phone, b.p.phone) : MISSING;
    out[5] = a.city >= 0 && b.city >= 0 ? this.cities.get(a.city, b.city, v) : MISSING;
    out[6] = a.address >= 0 && b.address >= 0 ? this.addresses.get(a.address, b.address, v) : MISSING;
    out[7] = a.postcode >= 0 && b.postcode >= 0 ? this.postcodes.get(a.postcode, b.postcode, v) : MISSING;
    return swapped;
  }
}

/** emailLevel with the digit-less mailbox names computed once per person. */
function emailLevelInterned(a: InternedPerson, b: InternedPerson): number {
  const ea = a.p.email as string;
  const eb = b.p.email as string;
  if (ea === eb) return 0;
  const la = a.p.emailLocal;
  const lb = b.p.emailLocal;
  if (la === undefined || lb === undefined) return jaroWinkler(ea, eb) >= 0.88 ? 2 : 3;
  if (la === lb) return 1;
  if (a.localNoDigits === b.localNoDigits) return 3;
  const da = ea.slice(la.length + 1);
  const db = eb.slice(lb.length + 1);
  return distance(la, lb) <= 2 && (da === db || distance(da, db) <= 2) ? 2 : 3;
}
