import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** The character that stands for hidden characters in a masked value. */
export const MASK = '•';
const DOTS = MASK.repeat(3);

const EMAIL = /^([^@\s]+)@([^@\s]+)$/;
const PHONE = /^\+?[\d\s().-]{7,}$/;

/** `jane.doe@example.co.uk` → `j•••@e•••.uk`: the shape stays, the person does not. */
export function maskEmail(email: string): string {
  const m = EMAIL.exec(email.trim());
  if (!m) return maskText(email);
  const [, local, domain] = m as unknown as [string, string, string];
  const labels = domain.split('.');
  const tld = labels.length > 1 ? `.${labels.at(-1)}` : '';
  return `${local.slice(0, 1)}${DOTS}@${domain.slice(0, 1)}${DOTS}${tld}`;
}

/** `+447700900123` → `+44 •••• ••• 123`: country and last three digits, enough to confirm a caller. */
export function maskPhone(phone: string): string {
  const parsed = parsePhoneNumberFromString(phone.trim(), { defaultCallingCode: '44' });
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 6) return maskText(phone);
  const cc = parsed?.countryCallingCode ?? digits.slice(0, 2);
  return `+${cc} ${MASK.repeat(4)} ${MASK.repeat(3)} ${digits.slice(-3)}`;
}

/** Free text or a name: the first character and the fact that there was more. */
export function maskText(text: string): string {
  const t = text.trim();
  if (!t.length) return '';
  return `${[...t][0]}${DOTS}`;
}

export type MaskHint = 'email' | 'phone' | 'text' | undefined;

/** Masks one scalar, guessing its kind from its shape when no hint is given. */
export function maskScalar(value: unknown, hint?: MaskHint): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return DOTS;
  const s = String(value);
  const kind = hint ?? (EMAIL.test(s.trim()) ? 'email' : PHONE.test(s.trim()) ? 'phone' : 'text');
  return kind === 'email' ? maskEmail(s) : kind === 'phone' ? maskPhone(s) : maskText(s);
}

/**
 * Masks every string (and number) leaf of a JSON value, keeping keys and structure so a reader
 * can see which attributes exist. Booleans stay: they are flags, not personal data.
 */
export function maskJson(value: unknown, hint?: MaskHint): unknown {
  if (Array.isArray(value)) return value.map((v) => maskJson(v, hint));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        maskJson(v, hintForKey(k) ?? hint),
      ]),
    );
  }
  if (value instanceof Date) return DOTS;
  return maskScalar(value, hint);
}

function hintForKey(key: string): MaskHint {
  const k = key.toLowerCase();
  if (k.includes('email')) return 'email';
  if (k.includes('phone') || k === 'msisdn') return 'phone';
  return undefined;
}

/** Picks a hint from a trait name or identifier kind (`email`, `phone`, `firstName`...). */
export function hintFor(name: unknown): MaskHint {
  return typeof name === 'string' ? (hintForKey(name) ?? 'text') : undefined;
}
