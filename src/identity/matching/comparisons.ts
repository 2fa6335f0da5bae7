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

/** Matching features from traits and normalised identifiers. */
export function featuresOf(
  traits: Record<string, unknown>,
  identifiers: { kind: string; value: string }[],
): PersonFeatures {
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const f: PersonFeatures = {};
  const set = <K extends keyof PersonFeatures>(k: K, v: PersonFeatures[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('firstName', str(traits.firstName));
  set('lastName', str(traits.lastName));
  set('dob', str(traits.dob));
  set('city', str(traits.city));
  set('address', str(traits.address));
  set('postcode', str(traits.postcode));
  set('email', identifiers.find((i) => i.kind === 'email')?.value);
  set('phone', identifiers.find((i) => i.kind === 'phone')?.value);
  return f;
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
  email: [
    'exact',
    'same local part',
    'local part typo (edit distance <= 2, same or near domain)',
    'different',
  ],
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
  const result = prepareFeatures(p);
  prepared.set(p, result);
  return result;
}

/**
 * The prepared form without the per-object cache, for callers that keep it themselves (a bulk
 * import holds a million of them: as WeakMap entries they made every full GC slower).
 */
export function prepareFeatures(p: PersonFeatures): PreparedPerson {
  const email = clean(p.email);
  const at = email === undefined ? -1 : email.lastIndexOf('@');
  const address = clean(p.address)?.replace(ADDRESS_PUNCTUATION, ' ').replace(SPACES, ' ').trim();
  const postcode = p.postcode?.replace(SPACES, '').toUpperCase();
  return {
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

/** Values of one field as small integer ids, in order of first appearance. */
export class Interner {
  // Made from `values` on the first id() when the interner was given its values (a worker that
  // only reads them never pays for the map).
  private ids: Map<string, number> | null;
  readonly values: string[];

  /** `values`: ids given before, in order (this interner takes the array over). */
  constructor(values: string[] = []) {
    this.values = values;
    this.ids = values.length ? null : new Map();
  }

  id(s: string | undefined): number {
    if (s === undefined) return -1;
    const ids = (this.ids ??= new Map(this.values.map((v, id) => [v, id])));
    let id = ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      ids.set(s, id);
    }
    return id;
  }
}

const DENSE = 2048;
const MIN_BITS = 16;
const MAX_BITS = 22;

/**
 * Level of an ordered pair of interned values of one field: a dense table for the first DENSE
 * values (the commonest, as they appear first), an open-addressing hash table of typed arrays
 * beyond, so a lookup allocates nothing. The table doubles up to 2^MAX_BITS slots and is then
 * emptied when half full (a cache: forgetting only costs recomputing).
 */
class PairMemo {
  private readonly dense = new Int8Array(DENSE * DENSE).fill(-2);
  private bits = MIN_BITS;
  private keyA = new Int32Array(1 << MIN_BITS).fill(-1);
  private keyB = new Int32Array(1 << MIN_BITS);
  private level = new Int8Array(1 << MIN_BITS);
  private size = 0;

  constructor(
    private readonly compute: (a: string, b: string) => number,
    private readonly values: readonly string[],
    /** The level of pairs it is true for, known without comparing (see nameSurelyDifferent). */
    private readonly surely: ((a: number, b: number) => boolean) | null = null,
    private readonly surelyLevel = 0,
  ) {}

  get(a: number, b: number): number {
    if (a === b) return 0; // every level function gives 0 for equal values
    if (this.surely !== null && this.surely(a, b)) return this.surelyLevel;
    if (a < DENSE && b < DENSE) {
      const k = a * DENSE + b;
      let l = this.dense[k]!;
      if (l === -2) this.dense[k] = l = this.compute(this.values[a]!, this.values[b]!);
      return l;
    }
    const mask = (1 << this.bits) - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> (32 - this.bits);
    const keyA = this.keyA;
    for (;;) {
      const ka = keyA[h]!;
      if (ka === -1) break;
      if (ka === a && this.keyB[h] === b) return this.level[h]!;
      h = (h + 1) & mask;
    }
    const l = this.compute(this.values[a]!, this.values[b]!);
    if (this.size * 2 >= mask) {
      this.resize();
      return this.insert(a, b, l);
    }
    keyA[h] = a;
    this.keyB[h] = b;
    this.level[h] = l;
    this.size++;
    return l;
  }

  private insert(a: number, b: number, l: number): number {
    const mask = (1 << this.bits) - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> (32 - this.bits);
    while (this.keyA[h] !== -1) h = (h + 1) & mask;
    this.keyA[h] = a;
    this.keyB[h] = b;
    this.level[h] = l;
    this.size++;
    return l;
  }

  private resize(): void {
    const { keyA, keyB, level } = this;
    const grow = this.bits < MAX_BITS;
    if (grow) this.bits++;
    this.keyA = new Int32Array(1 << this.bits).fill(-1);
    this.keyB = new Int32Array(1 << this.bits);
    this.level = new Int8Array(1 << this.bits);
    this.size = 0;
    if (!grow) return;
    for (let h = 0; h < keyA.length; h++) if (keyA[h] !== -1) this.insert(keyA[h]!, keyB[h]!, level[h]!);
  }
}

/**
 * The characters of a string as a set of 32 bits: a to z each its own bit, any other character
 * one of the 6 others. A character of one string whose bit the other's set lacks is not in it.
 */
function charMask(s: string): number {
  let mask = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    mask |= 1 << (c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6));
  }
  return mask;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * True when the Jaro-Winkler similarity of two non-empty strings, given their charMask and
 * length, is certainly below `threshold`: characters whose bit the other string lacks cannot be
 * matching characters, so at most m = min(la - onlyA, lb - onlyB) match; Jaro is then at most
 * (m/la + m/lb + 1) / 3 and Winkler's prefix bonus at most 0.4 of the rest. The small margin
 * keeps rounding from deciding.
 */
function surelyBelow(ma: number, la: number, mb: number, lb: number, threshold: number): boolean {
  const m = Math.min(la - popcount(ma & ~mb), lb - popcount(mb & ~ma));
  if (m <= 0) return true;
  const jaro = (m / la + m / lb + 1) / 3;
  return jaro + 0.4 * (1 - jaro) < threshold - 1e-9;
}

/** Number of distinct pair codes (see LevelCache.code): 8 fields of up to 5 values, and the swap flag. */
export const LEVEL_CODES = 2 * 5 ** 8;

/**
 * A LevelCache slot: 16 int32 (64 bytes, one cache line) per person, at slot * STRIDE. The value
 * ids are -1 when the field is absent.
 */
const STRIDE = 16;
const PRESENT = 0;
const FIRST = 1;
const LAST = 2;
const DOB = 3;
const CITY = 4;
const ADDRESS = 5;
const POSTCODE = 6;
const EMAIL = 7;
/** The mailbox name, that name without its digits, its length and charMask. */
const LOCAL = 8;
const LOCAL_NO_DIGITS = 9;
const LOCAL_LENGTH = 10;
const LOCAL_MASK = 11;
/** The phone's id; its length and its characters as 4-bit codes (PHONE_LENGTH -1: not packed, see packPhone). */
const PHONE = 12;
const PHONE_LENGTH = 13;
const PHONE_HI = 14;
const PHONE_LO = 15;

/**
 * A phone of at most 16 characters, each a digit or '+', as two int32 of eight 4-bit codes
 * (left-aligned): two such phones of one length differ in as many characters as in codes.
 */
function packPhone(s: string): [number, number] | null {
  if (s.length > 16) return null;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 16; i++) {
    let code = 0;
    if (i < s.length) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) code = c - 48 + 1;
      else if (c === 43) code = 11;
      else return null;
    }
    if (i < 8) hi |= code << (28 - 4 * i);
    else lo |= code << (28 - 4 * (i - 8));
  }
  return [hi, lo];
}

/** Number of non-zero 4-bit groups of x. */
function nibbles(x: number): number {
  return popcount((x | (x >>> 1) | (x >>> 2) | (x >>> 3)) & 0x11111111);
}

/** A LevelCache's people as plain data (LevelCache.snapshot). */
export interface LevelCacheSnapshot {
  slots: Int32Array;
  values: Record<
    'names' | 'dobs' | 'cities' | 'addresses' | 'postcodes' | 'emails' | 'locals' | 'phones',
    string[]
  >;
  nameMask: number[];
  nameLength: number[];
}

/**
 * compareLevels for many pairs over values that repeat (names, dates of birth, cities): each
 * distinct ordered pair of values is compared once. Gives exactly compareLevels' levels.
 *
 * People are stored in numbered slots (the caller's record indexes) as interned value ids, all of
 * one person in one 64-byte run of a typed array: scoring a pair reads one cache line per person
 * instead of two objects and their strings scattered over the heap.
 */
export class LevelCache {
  private readonly nameIds: Interner;
  private readonly dobIds: Interner;
  private readonly cityIds: Interner;
  private readonly addressIds: Interner;
  private readonly postcodeIds: Interner;
  private readonly emailIds: Interner;
  private readonly localIds: Interner;
  private readonly phoneIds: Interner;
  // Per name id: its characters as a bit set (charMask) and its length.
  private readonly nameMask: number[];
  private readonly nameLength: number[];
  private readonly names: PairMemo;
  private readonly dobs: PairMemo;
  private readonly cities: PairMemo;
  private readonly addresses: PairMemo;
  private readonly postcodes: PairMemo;
  private slots: Int32Array;

  /**
   * `from`: the people of another cache (its snapshot()), in the same slots with the same ids.
   * `shared`: the slots (up to `capacity`) in shared memory, so a snapshot shares them with the
   * threads it is sent to instead of copying them.
   */
  constructor(capacity = 1024, from?: LevelCacheSnapshot, shared = false) {
    const v = from?.values;
    this.nameIds = new Interner(v?.names);
    this.dobIds = new Interner(v?.dobs);
    this.cityIds = new Interner(v?.cities);
    this.addressIds = new Interner(v?.addresses);
    this.postcodeIds = new Interner(v?.postcodes);
    this.emailIds = new Interner(v?.emails);
    this.localIds = new Interner(v?.locals);
    this.phoneIds = new Interner(v?.phones);
    this.nameMask = from?.nameMask ?? [];
    this.nameLength = from?.nameLength ?? [];
    this.names = new PairMemo(
      nameLevel,
      this.nameIds.values,
      (a, b) =>
        surelyBelow(this.nameMask[a]!, this.nameLength[a]!, this.nameMask[b]!, this.nameLength[b]!, 0.85),
      3,
    );
    this.dobs = new PairMemo(dobLevel, this.dobIds.values);
    this.cities = new PairMemo(cityLevel, this.cityIds.values);
    this.addresses = new PairMemo(addressLevel, this.addressIds.values);
    this.postcodes = new PairMemo(postcodeLevel, this.postcodeIds.values);
    const length = Math.max(16, capacity) * STRIDE;
    this.slots =
      from?.slots ?? (shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length));
  }

  /**
   * The people of slots 0 .. count - 1 as plain data, for a LevelCache made from it elsewhere (in
   * a worker thread) that scores the same pairs with the same codes. The interned values are this
   * cache's own arrays; the slots are a copy, or this cache's own in shared memory. In both a
   * slot this cache sets again later is not the snapshot's any more.
   */
  snapshot(count: number): LevelCacheSnapshot {
    const length = Math.max(16, count) * STRIDE;
    return {
      slots:
        this.slots.buffer instanceof SharedArrayBuffer
          ? this.slots.subarray(0, length)
          : this.slots.slice(0, length),
      values: {
        names: this.nameIds.values,
        dobs: this.dobIds.values,
        cities: this.cityIds.values,
        addresses: this.addressIds.values,
        postcodes: this.postcodeIds.values,
        emails: this.emailIds.values,
        locals: this.localIds.values,
        phones: this.phoneIds.values,
      },
      nameMask: this.nameMask,
      nameLength: this.nameLength,
    };
  }

  /**
   * Stores a person in `slot` (replacing what was there), in its prepared form (preparePerson or
   * prepareFeatures).
   */
  set(slot: number, p: PreparedPerson): void {
    if ((slot + 1) * STRIDE > this.slots.length) {
      let n = this.slots.length;
      while (n < (slot + 1) * STRIDE) n *= 2;
      const bigger = new Int32Array(n);
      bigger.set(this.slots);
      this.slots = bigger;
    }
    const s = this.slots;
    const o = slot * STRIDE;
    s[o + FIRST] = this.nameId(p.firstName);
    s[o + LAST] = this.nameId(p.lastName);
    s[o + DOB] = this.dobIds.id(p.dob);
    s[o + CITY] = this.cityIds.id(p.city);
    s[o + ADDRESS] = this.addressIds.id(p.address);
    s[o + POSTCODE] = this.postcodeIds.id(p.postcode);
    s[o + EMAIL] = this.emailIds.id(p.email);
    const local = p.emailLocal;
    s[o + LOCAL] = this.localIds.id(local);
    s[o + LOCAL_NO_DIGITS] = this.localIds.id(local?.replace(DIGITS, ''));
    s[o + LOCAL_LENGTH] = local === undefined ? 0 : local.length;
    s[o + LOCAL_MASK] = local === undefined ? 0 : charMask(local);
    s[o + PHONE] = this.phoneIds.id(p.phone);
    const packed = p.phone === undefined ? null : packPhone(p.phone);
    s[o + PHONE_LENGTH] = packed === null ? -1 : p.phone!.length;
    s[o + PHONE_HI] = packed === null ? 0 : packed[0];
    s[o + PHONE_LO] = packed === null ? 0 : packed[1];
    s[o + PRESENT] = 1;
  }

  private nameId(name: string | undefined): number {
    const id = this.nameIds.id(name);
    if (id === this.nameMask.length) {
      this.nameMask.push(charMask(name!));
      this.nameLength.push(name!.length);
    }
    return id;
  }

  /** Forgets the person in `slot`. */
  delete(slot: number): void {
    if (slot * STRIDE < this.slots.length) this.slots[slot * STRIDE + PRESENT] = 0;
  }

  has(slot: number): boolean {
    return slot * STRIDE < this.slots.length && this.slots[slot * STRIDE + PRESENT] === 1;
  }

  /**
   * The levels and names-swapped flag of the people in two slots as one integer below
   * LEVEL_CODES: the flag, then each field's level + 1 (0 for MISSING) as a base-5 digit in
   * COMPARED_FIELDS order. Read it back with decodeLevels. Both slots must hold a person.
   */
  code(slotA: number, slotB: number): number {
    const s = this.slots;
    const a = slotA * STRIDE;
    const b = slotB * STRIDE;
    let swapped = 0;
    const fa = s[a + FIRST]!;
    const fb = s[b + FIRST]!;
    const la = s[a + LAST]!;
    const lb = s[b + LAST]!;
    let first = fa >= 0 && fb >= 0 ? this.names.get(fa, fb) : MISSING;
    let last = la >= 0 && lb >= 0 ? this.names.get(la, lb) : MISSING;
    if (first !== 0 && last !== 0 && first !== MISSING && last !== MISSING) {
      const fx = this.names.get(fa, lb);
      const lx = this.names.get(la, fb);
      if (fx <= 1 && lx <= 1 && fx + lx < first + last) {
        first = fx;
        last = lx;
        swapped = 1;
      }
    }
    let code = swapped * 5 + first + 1;
    code = code * 5 + last + 1;
    const da = s[a + DOB]!;
    const db = s[b + DOB]!;
    code = code * 5 + (da >= 0 && db >= 0 ? this.dobs.get(da, db) + 1 : 0);
    const ea = s[a + EMAIL]!;
    const eb = s[b + EMAIL]!;
    code = code * 5 + (ea >= 0 && eb >= 0 ? this.emailLevel(a, b, ea, eb) + 1 : 0);
    const pa = s[a + PHONE]!;
    const pb = s[b + PHONE]!;
    code = code * 5 + (pa >= 0 && pb >= 0 ? this.phoneLevel(a, b, pa, pb) + 1 : 0);
    const ca = s[a + CITY]!;
    const cb = s[b + CITY]!;
    code = code * 5 + (ca >= 0 && cb >= 0 ? this.cities.get(ca, cb) + 1 : 0);
    const aa = s[a + ADDRESS]!;
    const ab = s[b + ADDRESS]!;
    code = code * 5 + (aa >= 0 && ab >= 0 ? this.addresses.get(aa, ab) + 1 : 0);
    const qa = s[a + POSTCODE]!;
    const qb = s[b + POSTCODE]!;
    code = code * 5 + (qa >= 0 && qb >= 0 ? this.postcodes.get(qa, qb) + 1 : 0);
    return code;
  }

  /** The same as compareLevels on the two slots' people. */
  compare(a: number, b: number, out: Int8Array): boolean {
    return decodeLevels(this.code(a, b), out);
  }

  /** emailLevel over interned emails and mailbox names (equal ids: equal strings); a, b: slot offsets. */
  private emailLevel(a: number, b: number, ea: number, eb: number): number {
    if (ea === eb) return 0;
    const s = this.slots;
    const emails = this.emailIds.values;
    const la = s[a + LOCAL]!;
    const lb = s[b + LOCAL]!;
    if (la < 0 || lb < 0) return jaroWinkler(emails[ea]!, emails[eb]!) >= 0.88 ? 2 : 3;
    if (la === lb) return 1;
    if (s[a + LOCAL_NO_DIGITS] === s[b + LOCAL_NO_DIGITS]) return 3;
    // Edit distance is at least the difference in length, and each edit adds or removes at most
    // one character of each bit set: more than 4 bits apart is more than 2 edits.
    const lengthA = s[a + LOCAL_LENGTH]!;
    const lengthB = s[b + LOCAL_LENGTH]!;
    if (
      lengthA - lengthB > 2 ||
      lengthB - lengthA > 2 ||
      popcount(s[a + LOCAL_MASK]! ^ s[b + LOCAL_MASK]!) > 4
    )
      return 3;
    const sa = this.localIds.values[la]!;
    const sb = this.localIds.values[lb]!;
    if (distance(sa, sb) > 2) return 3;
    const da = emails[ea]!.slice(sa.length + 1);
    const db = emails[eb]!.slice(sb.length + 1);
    return da === db || distance(da, db) <= 2 ? 2 : 3;
  }

  /** phoneLevel, on the packed characters when both phones are packed; a, b: slot offsets. */
  private phoneLevel(a: number, b: number, pa: number, pb: number): number {
    if (pa === pb) return 0;
    const s = this.slots;
    const na = s[a + PHONE_LENGTH]!;
    const nb = s[b + PHONE_LENGTH]!;
    if (na < 0 || nb < 0) return phoneLevel(this.phoneIds.values[pa]!, this.phoneIds.values[pb]!);
    if (na !== nb) return 2;
    const diff = nibbles(s[a + PHONE_HI]! ^ s[b + PHONE_HI]!) + nibbles(s[a + PHONE_LO]! ^ s[b + PHONE_LO]!);
    return diff > 1 ? 2 : 1;
  }
}

/** Fills `out` with the levels of a LevelCache code; returns its names-swapped flag. */
export function decodeLevels(code: number, out: Int8Array): boolean {
  for (let f = COMPARED_FIELDS.length - 1; f >= 0; f--) {
    out[f] = (code % 5) - 1;
    code = Math.floor(code / 5);
  }
  return code === 1;
}

/**
 * Scores of LevelCache codes under level weights (levelWeights), each worked out once: summed in
 * field order, as matchWeight and scorePair do, so the same double for the same code anywhere.
 */
export class CodeScores {
  // NaN: not worked out yet.
  private readonly byCode = new Float64Array(LEVEL_CODES).fill(NaN);
  private readonly levels = new Int8Array(COMPARED_FIELDS.length);

  constructor(private readonly weights: readonly Float64Array[]) {}

  score(code: number): number {
    let score = this.byCode[code]!;
    if (Number.isNaN(score)) {
      decodeLevels(code, this.levels);
      score = 0;
      for (let f = 0; f < this.levels.length; f++)
        if (this.levels[f]! >= 0) score += this.weights[f]![this.levels[f]!]!;
      this.byCode[code] = score;
    }
    return score;
  }
}
