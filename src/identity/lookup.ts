import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js';

export type LookupKey = { ok: true; kind: string; namespace: string; value: string } | { ok: false; error: string };

/** Normalises an identifier given by an API caller the way ingest normalises it. */
export function normaliseLookup(kind: string, namespace: string, value: string, defaultRegion: string): LookupKey {
  const v = value.trim();
  if (!v) return { ok: false, error: `value must not be empty` };
  switch (kind) {
    case 'email':
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return { ok: false, error: `value "${v}" is not an email address` };
      return { ok: true, kind, namespace: '', value: v.toLowerCase() };
    case 'phone':
      try {
        const p = parsePhoneNumberWithError(v, defaultRegion as CountryCode);
        if (!p.isValid()) throw new Error('invalid');
        return { ok: true, kind, namespace: '', value: p.number };
      } catch {
        return { ok: false, error: `value "${v}" is not a valid phone number (default region ${defaultRegion})` };
      }
    default:
      if (!namespace) return { ok: false, error: `namespace is required for ${kind} identifiers` };
      return { ok: true, kind, namespace, value: v };
  }
}
