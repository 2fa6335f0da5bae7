import {
  BLOCKING_KEY_KINDS,
  featuresOf,
  forEachBlockingKey,
  Interner,
  LevelCache,
  prepareFeatures,
  type BlockingKeyKind,
  type LevelCacheSnapshot,
  type PreparedPerson,
} from '../matching/index.js';
import { isRoleAddress, keyOf } from '../normalise/identifier.normaliser.js';
import { Int32List, TripleIds, withRoom, type TripleIdsSnapshot } from './block-index.js';
import { packStrings, unpackStrings, type PackedStrings } from './packed-strings.js';

const KEY_KIND_INDEX = Object.fromEntries(BLOCKING_KEY_KINDS.map((k, i) => [k, i])) as Record<
  BlockingKeyKind,
  number
>;

/**
 * An identifier's status before any trip-wire: blocked when the configuration blocks its key or
 * value, or when it is a role address (support@, info@ ...); else active.
 */
export function guardStatus(
  i: { kind: string; namespace: string; value: string },
  blockedValues: readonly string[],
): { status: 'active' | 'blocked'; reason: string | null } {
  if (blockedValues.length && (blockedValues.includes(keyOf(i)) || blockedValues.includes(i.value)))
    return { status: 'blocked', reason: 'configured blocked value' };
  if (i.kind === 'email' && isRoleAddress(i.value)) return { status: 'blocked', reason: 'role address' };
  return { status: 'active', reason: null };
}

/**
 * The matching features and blocking keys of an import's new records, record n in slot n.
 * Blocking keys are numbered by their parts (forEachBlockingKey): no string per key; the text of
 * key id is keyName(id). Record n's keys, each once and in blockingKeysOf's order, are
 * recKeys[recKeyStart[n] .. recKeyStart[n + 1]).
 */
export class RecordFeatures {
  readonly levelCache: LevelCache;
  readonly keyParts: Interner;
  readonly keyIds: TripleIds;
  readonly recKeys: Int32List;
  readonly recKeyStart: Int32Array<ArrayBuffer>;
  /** Records per key, once finish()ed. */
  readonly blockCount = new Int32List(1 << 16);
  private added = 0;
  private keysTo = new Int32List(0);
  private keysFrom = 0;

  /**
   * `capacity`: slots of the level cache (in shared memory, for a worker thread). `from`: the
   * features another thread worked out (snapshot()), finished.
   */
  constructor(
    readonly count: number,
    capacity: number,
    from?: RecordFeaturesSnapshot,
  ) {
    this.levelCache = from
      ? new LevelCache(0, { ...from.cache, values: unpackValues(from.cache.values) })
      : new LevelCache(capacity, undefined, true);
    this.keyParts = new Interner(from ? unpackStrings(from.keyParts) : []);
    this.keyIds = from ? TripleIds.from(from.keyIds) : new TripleIds();
    this.recKeys = new Int32List(from ? 0 : count * 8);
    this.recKeyStart = from ? from.recKeyStart : new Int32Array(count + 1);
    if (from) {
      this.recKeys.data = from.recKeys;
      this.recKeys.length = from.recKeys.length;
      this.blockCount.data = from.blockCount;
      this.blockCount.length = from.blockCount.length;
      this.added = count;
    }
  }

  keyName(id: number): string {
    const kind = BLOCKING_KEY_KINDS[this.keyIds.kind(id)]!;
    const a = this.keyParts.values[this.keyIds.a(id)]!;
    const b = this.keyIds.b(id);
    return b < 0 ? `${kind}:${a}` : `${kind}:${a}:${this.keyParts.values[b]!}`;
  }

  /** Appends the keys of `f` to `to`, each once. */
  addKeys(f: PreparedPerson, to: Int32List): void {
    this.keysTo = to;
    this.keysFrom = to.length;
    forEachBlockingKey(f, this.emitKey);
  }

  /** The next record's features (null: it has none, a deleted record). */
  add(f: PreparedPerson | null): void {
    const n = this.added++;
    this.recKeyStart[n] = this.recKeys.length;
    if (f === null) return;
    this.levelCache.set(n, f);
    this.addKeys(f, this.recKeys);
  }

  /** Once every record is added: the key counts. */
  finish(): void {
    this.recKeyStart[this.count] = this.recKeys.length;
    this.blockCount.grow(this.keyIds.size);
    this.blockCount.length = this.keyIds.size;
    for (let j = 0; j < this.recKeys.length; j++) this.blockCount.data[this.recKeys.data[j]!]!++;
  }

  /**
   * The finished features as plain data for another thread (new RecordFeatures(count, 0, it)):
   * the level cache's slots are shared, everything else copied when sent.
   */
  snapshot(): RecordFeaturesSnapshot {
    const cache = this.levelCache.snapshot(this.count);
    return {
      cache: {
        ...cache,
        values: Object.fromEntries(
          Object.entries(cache.values).map(([field, list]) => [field, packStrings(list)]),
        ) as PackedValues,
      },
      keyParts: packStrings(this.keyParts.values),
      keyIds: this.keyIds.snapshot(),
      recKeys: this.recKeys.data.subarray(0, this.recKeys.length),
      recKeyStart: this.recKeyStart,
      blockCount: this.blockCount.data.subarray(0, this.blockCount.length),
    };
  }

  private readonly emitKey = (kind: BlockingKeyKind, a: string, b?: string): void => {
    const id = this.keyIds.id(
      KEY_KIND_INDEX[kind],
      this.keyParts.id(a),
      b === undefined ? -1 : this.keyParts.id(b),
    );
    const to = this.keysTo;
    for (let j = this.keysFrom; j < to.length; j++) if (to.data[j] === id) return;
    to.push(id);
  };
}

type PackedValues = Record<keyof LevelCacheSnapshot['values'], PackedStrings>;

function unpackValues(values: PackedValues): LevelCacheSnapshot['values'] {
  return Object.fromEntries(
    Object.entries(values).map(([field, packed]) => [field, unpackStrings(packed)]),
  ) as LevelCacheSnapshot['values'];
}

export interface RecordFeaturesSnapshot {
  cache: Omit<LevelCacheSnapshot, 'values'> & { values: PackedValues };
  keyParts: PackedStrings;
  keyIds: TripleIdsSnapshot;
  recKeys: Int32Array<ArrayBuffer>;
  recKeyStart: Int32Array<ArrayBuffer>;
  blockCount: Int32Array<ArrayBuffer>;
}

/** The traits features are made of, in this order (FeatureInput.traits). */
const TRAITS = ['firstName', 'lastName', 'dob', 'city', 'address', 'postcode'] as const;

/**
 * What an import's new records' features are worked out from, for another thread: per record
 * its deleted flag, the traits compared ('' for a value that is not a string) and its email and
 * phone identifiers in order.
 */
export interface FeatureInput {
  count: number;
  deleted: Uint8Array<ArrayBuffer>;
  traits: PackedStrings;
  evidenceStart: Int32Array<ArrayBuffer>;
  /** 0: email, 1: phone. */
  evidenceKind: Uint8Array<ArrayBuffer>;
  evidenceValue: PackedStrings;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The import's records as featureInput reads them (its prepared records, normalised identifiers). */
interface FeatureRecord {
  person: { deleted?: boolean | undefined; traits?: object | undefined };
  identifiers: readonly { kind: string; value: string }[];
}

/** The feature input of records[from .. to) (a chunk: the records go to computeFeatures in order). */
export function featureInput(records: readonly FeatureRecord[], from = 0, to = records.length): FeatureInput {
  const count = to - from;
  const deleted = new Uint8Array(count);
  const traits: string[] = new Array<string>(count * TRAITS.length);
  const evidenceStart = new Int32Array(count + 1);
  let evidenceKind = new Uint8Array(count * 2);
  const values: string[] = [];
  for (let n = 0, t = 0; n < count; n++) {
    const r = records[from + n]!;
    evidenceStart[n] = values.length;
    deleted[n] = r.person.deleted ? 1 : 0;
    // Named reads, in TRAITS order (a read by a variable name is a slower keyed lookup).
    const given = (r.person.traits ?? {}) as Partial<Record<(typeof TRAITS)[number], unknown>>;
    traits[t++] = text(given.firstName);
    traits[t++] = text(given.lastName);
    traits[t++] = text(given.dob);
    traits[t++] = text(given.city);
    traits[t++] = text(given.address);
    traits[t++] = text(given.postcode);
    for (const i of r.identifiers) {
      if (i.kind !== 'email' && i.kind !== 'phone') continue;
      evidenceKind = withRoom(evidenceKind, values.length + 1);
      evidenceKind[values.length] = i.kind === 'email' ? 0 : 1;
      values.push(i.value);
    }
  }
  evidenceStart[count] = values.length;
  return {
    count,
    deleted,
    traits: packStrings(traits),
    evidenceStart,
    evidenceKind,
    evidenceValue: packStrings(values),
  };
}

/**
 * The features of `count` records given in chunks (featureInput, in record order), as the import
 * works them out from its records: a deleted record has none, the others those of their traits
 * and their active emails and phones (guardStatus, before any trip-wire).
 */
export function computeFeatures(
  count: number,
  inputs: Iterable<FeatureInput>,
  blockedValues: readonly string[],
): RecordFeatures {
  const features = new RecordFeatures(count, count);
  const traits: Record<string, string> = {};
  const active: { kind: string; value: string }[] = [];
  let added = 0;
  if (count > 0)
    for (const input of inputs) {
      const traitValues = unpackStrings(input.traits);
      const values = unpackStrings(input.evidenceValue);
      for (let n = 0; n < input.count; n++) {
        if (input.deleted[n]) {
          features.add(null);
          continue;
        }
        for (let t = 0; t < TRAITS.length; t++) traits[TRAITS[t]!] = traitValues[n * TRAITS.length + t]!;
        active.length = 0;
        for (let j = input.evidenceStart[n]!; j < input.evidenceStart[n + 1]!; j++) {
          const kind = input.evidenceKind[j] === 0 ? 'email' : 'phone';
          const value = values[j]!;
          if (guardStatus({ kind, namespace: '', value }, blockedValues).status === 'active')
            active.push({ kind, value });
        }
        features.add(prepareFeatures(featuresOf(traits, active)));
      }
      added += input.count;
      if (added >= count) break;
    }
  if (added !== count) throw new Error(`features: ${added} records given, ${count} expected`);
  features.finish();
  return features;
}
