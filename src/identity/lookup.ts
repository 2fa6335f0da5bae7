import { normaliseIdentifier, type CountryCode, type IdentifierKind } from './normalise/identifier.normaliser.js';

export type LookupKey = { ok: true; kind: string; namespace: string; value: string } | { ok: false; error: string };

/** Normalises an identifier given by an API caller exactly the way ingest normalises it. */
export function normaliseLookup(kind: string, namespace: string, value: string, defaultRegion: string): LookupKey {
  const r = normaliseIdentifier({ kind: kind as IdentifierKind, namespace, value }, { defaultRegion: defaultRegion as CountryCode });
  if (!r.ok) return r;
  return { ok: true, kind: r.identifier.kind, namespace: r.identifier.namespace, value: r.identifier.value };
}
