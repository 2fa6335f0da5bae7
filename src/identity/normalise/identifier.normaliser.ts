import type { CountryCode } from 'libphonenumber-js';
import { EMAIL_NORMALISER_VERSION, normaliseEmail } from './email.normaliser.js';
import { EXTERNAL_NORMALISER_VERSION, normaliseExternal } from './external.normaliser.js';
import { PHONE_NORMALISER_VERSION, normalisePhone } from './phone.normaliser.js';
import { SOCIAL_NORMALISER_VERSION, normaliseSocial } from './social.normaliser.js';

export type { CountryCode } from 'libphonenumber-js';
export { EMAIL_NORMALISER_VERSION } from './email.normaliser.js';
export { PHONE_NORMALISER_VERSION } from './phone.normaliser.js';
export {
  SOCIAL_NORMALISER_VERSION,
  SOCIAL_HANDLE_SCOPE,
  isSocialHandleNamespace,
} from './social.normaliser.js';
export { EXTERNAL_NORMALISER_VERSION } from './external.normaliser.js';
export { isRoleAddress } from './role-address.js';

export type IdentifierKind = 'email' | 'phone' | 'social' | 'external';

export interface NormalisedIdentifier {
  kind: IdentifierKind;
  /** '' for email and phone; platform[:scope:id] for social; system:object for external. */
  namespace: string;
  value: string;
  /** The value exactly as received, kept so a later normaliser version can redo the work. */
  raw: string;
  version: number;
}

/** An identifier's key: its kind, namespace and value (how blocked values are configured). */
export const keyOf = (i: { kind: string; namespace: string; value: string }) =>
  `${i.kind}:${i.namespace}:${i.value}`;

export interface IdentifierInput {
  kind: IdentifierKind;
  namespace?: string;
  value: string;
}

export interface NormaliseOptions {
  defaultRegion: CountryCode;
}

export type NormaliseResult = { ok: true; identifier: NormalisedIdentifier } | { ok: false; error: string };

/** Current version per kind; an identifier stored with a lower version is due for re-normalising. */
export const NORMALISER_VERSIONS = {
  email: EMAIL_NORMALISER_VERSION,
  phone: PHONE_NORMALISER_VERSION,
  social: SOCIAL_NORMALISER_VERSION,
  external: EXTERNAL_NORMALISER_VERSION,
} as const satisfies Record<IdentifierKind, number>;

export function normaliseIdentifier(input: IdentifierInput, options: NormaliseOptions): NormaliseResult {
  const raw = input.value;
  if (typeof raw !== 'string') return { ok: false, error: `${String(input.kind)} value must be a string` };
  switch (input.kind) {
    case 'email': {
      const r = normaliseEmail(raw);
      return r.ok ? ok('email', '', r.value, raw) : r;
    }
    case 'phone': {
      const r = normalisePhone(raw, options.defaultRegion);
      return r.ok ? ok('phone', '', r.value, raw) : r;
    }
    case 'social': {
      const r = normaliseSocial(input.namespace, raw);
      return r.ok ? ok('social', r.namespace, r.value, raw) : r;
    }
    case 'external': {
      const r = normaliseExternal(input.namespace, raw);
      return r.ok ? ok('external', r.namespace, r.value, raw) : r;
    }
    default:
      return {
        ok: false,
        error: `identifier kind ${JSON.stringify(input.kind as unknown)} is not one of email, phone, social, external`,
      };
  }
}

function ok(kind: IdentifierKind, namespace: string, value: string, raw: string): NormaliseResult {
  return { ok: true, identifier: { kind, namespace, value, raw, version: NORMALISER_VERSIONS[kind] } };
}
