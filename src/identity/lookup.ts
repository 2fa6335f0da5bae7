import { normaliseIdentifier, type CountryCode, type IdentifierKind } from './normalise/identifier.normaliser.js';

export type LookupKey =
  | { readonly ok: true; readonly kind: string; readonly namespace: string; readonly value: string }
  | { readonly ok: false; readonly error: string };

/** Most recent lookups remembered (normalising is pure; a phone parse costs ~20-40 µs per request). */
const CACHE_SIZE = 10_000;
const cache = new Map<string, LookupKey>();

/**
 * Normalises an identifier given by an API caller exactly the way ingest normalises it. Answers
 * are remembered (the last CACHE_SIZE distinct inputs): a call centre's screen pops ask for the
 * same numbers again and again, and the normalisers are pure functions of their input.
 */
export function normaliseLookup(kind: string, namespace: string, value: string, defaultRegion: string): LookupKey {
  const cacheKey = `${kind}\u0000${namespace}\u0000${defaultRegion}\u0000${value}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const r = normaliseIdentifier({ kind: kind as IdentifierKind, namespace, value }, { defaultRegion: defaultRegion as CountryCode });
  const key: LookupKey = r.ok
    ? { ok: true, kind: r.identifier.kind, namespace: r.identifier.namespace, value: r.identifier.value }
    : { ok: false, error: r.error };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, key);
  return key;
}
