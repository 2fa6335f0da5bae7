/** Bump when the output for some input changes. */
export const EXTERNAL_NORMALISER_VERSION = 1;

export type ExternalResult = { ok: true; namespace: string; value: string } | { ok: false; error: string };

const NAMESPACE = /^[a-z0-9][a-z0-9_.-]*:[a-z0-9][a-z0-9_.-]*$/;

/**
 * namespace `system:object` (`hubspot:contact`, `stripe:customer`), lower-cased; value trimmed
 * with case kept, because vendor ids are case-sensitive (Salesforce 15-char ids, Stripe `cus_...`).
 */
export function normaliseExternal(namespace: string | undefined, raw: string): ExternalResult {
  const ns = (namespace ?? '').trim().toLowerCase();
  if (!NAMESPACE.test(ns)) {
    return {
      ok: false,
      error: `external id namespace ${JSON.stringify(namespace ?? '')} is not valid: expected "system:object", e.g. "hubspot:contact" or "stripe:customer"`,
    };
  }
  const value = raw.trim();
  if (value === '' || value.length > 512) {
    return {
      ok: false,
      error: `external id ${JSON.stringify(raw)} in namespace "${ns}" is not valid: expected a non-empty id of at most 512 characters`,
    };
  }
  return { ok: true, namespace: ns, value };
}
