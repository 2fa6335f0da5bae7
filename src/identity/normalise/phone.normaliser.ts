import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** Bump when the output for some input changes (e.g. a libphonenumber metadata policy change). */
export const PHONE_NORMALISER_VERSION = 1;

export type PhoneResult = { ok: true; value: string } | { ok: false; error: string };

// "max" metadata validates number ranges (not only lengths) and measured as fast as the default
// metadata here (~18 µs per parse). The cache makes re-seen numbers (bulk imports, call logs)
// nearly free; it is cleared wholesale when full, which is cheaper than LRU bookkeeping.
const CACHE_LIMIT = 20_000;
const cache = new Map<string, PhoneResult>();

/** The key of a result in the cache and in normalisePhones' map. */
const resultKey = (raw: string, defaultRegion: CountryCode) => `${defaultRegion}|${raw}`;

/**
 * Parse a phone number to E.164 (`+442079460958`). National formats use `defaultRegion`;
 * international prefixes (`+44`, `0044` from GB, `011 44` from US) and `tel:` URIs work.
 * Extensions are dropped: E.164 has none, and the line identifies the person.
 */
export function normalisePhone(raw: string, defaultRegion: CountryCode): PhoneResult {
  const key = resultKey(raw, defaultRegion);
  const hit = known?.get(key) ?? cache.get(key);
  if (hit !== undefined) return hit;
  const result = parse(raw, defaultRegion);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
  return result;
}

function parse(raw: string, defaultRegion: CountryCode): PhoneResult {
  const parsed = raw.trim() === '' ? undefined : parsePhoneNumberFromString(raw, defaultRegion);
  if (parsed === undefined || !parsed.isValid()) {
    return {
      ok: false,
      error: `phone ${JSON.stringify(raw)} is not a valid phone number for region ${defaultRegion} (expected a national number or +<country code><number>)`,
    };
  }
  return { ok: true, value: parsed.number };
}

/** Results of normalisePhones being used (see withKnownPhones); keys as in the cache. */
let known: Map<string, PhoneResult> | null = null;

/**
 * Runs `work` (synchronous) with the results of normalisePhones answering normalisePhone for
 * those values, whatever the cache holds.
 */
export function withKnownPhones<T>(phones: Map<string, PhoneResult>, work: () => T): T {
  known = phones;
  try {
    return work();
  } finally {
    known = null;
  }
}

/** Below this many values a worker costs more (its start, loading the metadata) than it saves. */
const WORKER_FROM = 20_000;

/**
 * normalisePhone of many values, for withKnownPhones: parsing is the dearest part of normalising a
 * big import (20 to 70 µs a number), so a worker thread parses half of the values on another core
 * meanwhile. The results are the same as one by one. Without the compiled worker next to this
 * module (a test run from the sources) or for few values, all are parsed here.
 */
export async function normalisePhones(
  raws: readonly string[],
  defaultRegion: CountryCode,
): Promise<Map<string, PhoneResult>> {
  const out = new Map<string, PhoneResult>();
  const workerFile = new URL('./phone-worker.js', import.meta.url);
  const half =
    raws.length >= WORKER_FROM && fs.existsSync(fileURLToPath(workerFile)) ? raws.length >> 1 : raws.length;
  const theirs = raws.slice(half);
  const parsed = theirs.length
    ? new Promise<PhoneResult[]>((resolve, reject) => {
        const worker = new Worker(workerFile, { workerData: { raws: theirs, region: defaultRegion } });
        worker.once('message', (results: PhoneResult[]) => {
          resolve(results);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`phone normaliser worker exited with code ${code}`)));
      })
    : Promise.resolve([]);
  parsed.catch(() => {}); // observed below, after this thread's half
  for (let k = 0; k < half; k++) out.set(resultKey(raws[k]!, defaultRegion), parse(raws[k]!, defaultRegion));
  const results = await parsed;
  for (let k = 0; k < theirs.length; k++) out.set(resultKey(theirs[k]!, defaultRegion), results[k]!);
  return out;
}
