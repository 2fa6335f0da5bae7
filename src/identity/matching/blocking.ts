import { doubleMetaphone } from 'double-metaphone';
import { preparePerson, type PersonFeatures, type PreparedPerson } from './comparisons.js';

/**
 * Blocks larger than this are skipped: a key shared by that many records (a common birthday in
 * a big dataset, a family surname in one city) says little, and its pairs grow quadratically.
 * The finer keys (dob + initial, initial + surname sound) still reach those records.
 */
export const MAX_BLOCK_SIZE = 100;

const metaphoneCache = new Map<string, string>();
const METAPHONE_CACHE_LIMIT = 50_000;
const NOT_LETTERS = /[^a-z]/g;

/** Primary Double Metaphone code of a lower-case name, cached (names repeat a lot). */
function sound(name: string): string {
  const hit = metaphoneCache.get(name);
  if (hit !== undefined) return hit;
  const letters = name.replace(NOT_LETTERS, '');
  const code = letters === '' ? '' : doubleMetaphone(letters)[0];
  if (metaphoneCache.size >= METAPHONE_CACHE_LIMIT) metaphoneCache.clear();
  metaphoneCache.set(name, code);
  return code;
}

/**
 * Keys under which a person is filed; two records are compared when they share at least one.
 * Each key targets records that agree on something even when other fields carry typos:
 * - `d:` date of birth, and `di:` dob + an initial (survives the block cap in big datasets);
 * - `ns:` an initial + the sound of the other name, both ways round so swapped names meet;
 * - `e:` email local part (catches domain typos), `p:` phone;
 * - `sc:` surname sound + city, `fy:` first-name sound + birth year (dob typos in month/day).
 */
export function blockingKeys(p: PersonFeatures): string[] {
  return blockingKeysOf(preparePerson(p));
}

/** blockingKeys of a person's prepared form (see prepareFeatures). */
export function blockingKeysOf(r: PreparedPerson): string[] {
  const keys: string[] = [];
  forEachBlockingKey(r, (kind, a, b) => keys.push(b === undefined ? `${kind}:${a}` : `${kind}:${a}:${b}`));
  return keys;
}

/** The kinds of blocking key (the text before a key's first colon). */
export const BLOCKING_KEY_KINDS = ['d', 'di', 'ns', 'e', 'p', 'sc', 'fy'] as const;
export type BlockingKeyKind = (typeof BLOCKING_KEY_KINDS)[number];

/**
 * blockingKeysOf in parts, without building the keys' text: `emit` gets each key's kind and its
 * one or two parts in order; the key is `kind:a`, or `kind:a:b` for di, ns, sc and fy. Two keys
 * have the same text exactly when they have the same kind and parts (in each two-part kind one
 * part is a single character or a name sound, which is letters and digits only), so the bulk
 * import numbers keys by their parts instead of keeping millions of strings.
 */
export function forEachBlockingKey(
  r: PreparedPerson,
  emit: (kind: BlockingKeyKind, a: string, b?: string) => void,
): void {
  const first = r.firstName;
  const last = r.lastName;
  if (r.dob !== undefined) {
    emit('d', r.dob);
    if (first !== undefined) emit('di', r.dob, first[0]!);
    if (last !== undefined && last[0] !== first?.[0]) emit('di', r.dob, last[0]!);
  }
  if (first !== undefined && last !== undefined) {
    const sf = sound(first);
    const sl = sound(last);
    if (sl !== '') emit('ns', first[0]!, sl);
    if (sf !== '') emit('ns', last[0]!, sf);
  }
  if (r.emailLocal !== undefined) emit('e', r.emailLocal);
  if (r.phone !== undefined) emit('p', r.phone);
  if (last !== undefined && r.city !== undefined) emit('sc', sound(last), r.city);
  if (first !== undefined && r.dob !== undefined) emit('fy', sound(first), r.dob.slice(0, 4));
}

/**
 * Index pairs [i, j] (i < j) of records sharing a blocking key, each pair once. Work is the sum
 * of squared block sizes, bounded by MAX_BLOCK_SIZE, so it grows about linearly with records.
 */
export function candidatePairs(
  records: readonly PersonFeatures[],
  maxBlockSize: number = MAX_BLOCK_SIZE,
): Array<[number, number]> {
  const blocks = new Map<string, number[]>();
  for (let i = 0; i < records.length; i++) {
    for (const key of blockingKeys(records[i] as PersonFeatures)) {
      const block = blocks.get(key);
      if (block === undefined) blocks.set(key, [i]);
      else if (block[block.length - 1] !== i) block.push(i);
    }
  }
  const n = records.length;
  const seen = new Set<number>();
  const pairs: Array<[number, number]> = [];
  for (const block of blocks.values()) {
    if (block.length < 2 || block.length > maxBlockSize) continue;
    for (let x = 0; x < block.length; x++) {
      const i = block[x] as number;
      for (let y = x + 1; y < block.length; y++) {
        const j = block[y] as number;
        const id = i * n + j;
        if (seen.has(id)) continue;
        seen.add(id);
        pairs.push([i, j]);
      }
    }
  }
  return pairs;
}
