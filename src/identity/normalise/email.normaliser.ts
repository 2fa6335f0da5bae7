import { domainToASCII } from 'node:url';

/** Bump when the output for some input changes; stored beside each identifier for re-normalising. */
export const EMAIL_NORMALISER_VERSION = 1;

export type EmailResult = { ok: true; value: string } | { ok: false; error: string };

// RFC 5322 "dot-atom" local part, which is what real mailboxes use (quoted local parts are
// legal but never seen from our sources; rejecting them avoids linking on garbage).
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const NON_ASCII = /[^\x00-\x7f]/;
const DOTS = /\./g;

// Domains whose mailboxes ignore dots in the local part; googlemail.com is an alias of gmail.com.
const DOTLESS_DOMAINS: ReadonlyMap<string, string> = new Map([
  ['gmail.com', 'gmail.com'],
  ['googlemail.com', 'gmail.com'],
]);

/**
 * Trim, lower-case, drop a `mailto:` prefix, strip the plus-tag (`a+x@d` → `a@d`) and apply
 * per-domain rules (gmail: dots removed, googlemail → gmail). IDN domains go to punycode so
 * the Unicode and ASCII spellings of one domain give one identifier.
 */
export function normaliseEmail(raw: string): EmailResult {
  let s = raw.trim().toLowerCase();
  if (s.startsWith('mailto:')) s = s.slice(7).trim();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return fail(raw, 'has no local part and domain around a single "@"');
  let local = s.slice(0, at);
  let domain = s.slice(at + 1);
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (NON_ASCII.test(domain)) {
    const ascii = domainToASCII(domain);
    if (ascii === '') return fail(raw, `has an invalid domain "${domain}"`);
    domain = ascii;
  }
  if (!DOMAIN.test(domain)) return fail(raw, `has an invalid domain "${domain}"`);
  if (local.length > 64 || !LOCAL_PART.test(local)) return fail(raw, `has an invalid local part "${local}"`);

  // A leading "+" is a real (odd) mailbox, not a tag: keep it rather than produce an empty local part.
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const alias = DOTLESS_DOMAINS.get(domain);
  if (alias !== undefined) {
    domain = alias;
    local = local.replace(DOTS, '');
    if (local === '') return fail(raw, 'has an empty gmail local part');
  }
  return { ok: true, value: `${local}@${domain}` };
}

function fail(raw: string, why: string): EmailResult {
  return { ok: false, error: `email ${JSON.stringify(raw)} is not a valid email address: it ${why}` };
}
