import { describe, expect, it } from '@jest/globals';
import {
  NORMALISER_VERSIONS,
  isSocialHandleNamespace,
  normaliseIdentifier,
  type IdentifierInput,
  type NormaliseOptions,
} from './identifier.normaliser.js';

const GB: NormaliseOptions = { defaultRegion: 'GB' };
const US: NormaliseOptions = { defaultRegion: 'US' };

function value(input: IdentifierInput, options: NormaliseOptions = GB): string {
  const r = normaliseIdentifier(input, options);
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.identifier.value;
}
function error(input: IdentifierInput, options: NormaliseOptions = GB): string {
  const r = normaliseIdentifier(input, options);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.identifier)}`);
  return r.error;
}

describe('email', () => {
  it.each([
    ['  Jane.Doe@Example.COM ', 'jane.doe@example.com'],
    ['jane+newsletter@example.com', 'jane@example.com'],
    ['Jane.Doe+x+y@example.com', 'jane.doe@example.com'],
    ['j.a.n.e@gmail.com', 'jane@gmail.com'],
    ['J.A.N.E+spam@googlemail.com', 'jane@gmail.com'],
    ['jane.doe@outlook.com', 'jane.doe@outlook.com'],
    ['mailto:Jane@Example.com', 'jane@example.com'],
    ['jane@example.com.', 'jane@example.com'],
    ['jane@bücher.de', 'jane@xn--bcher-kva.de'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['+leading@example.com', '+leading@example.com'],
    ['a@sub.domain.example.co.uk', 'a@sub.domain.example.co.uk'],
  ])('%s → %s', (raw, expected) => {
    expect(value({ kind: 'email', value: raw })).toBe(expected);
  });

  it('keeps the raw value, namespace "" and the email version', () => {
    const r = normaliseIdentifier({ kind: 'email', value: ' A+b@Gmail.com' }, GB);
    expect(r).toEqual({
      ok: true,
      identifier: {
        kind: 'email',
        namespace: '',
        value: 'a@gmail.com',
        raw: ' A+b@Gmail.com',
        version: NORMALISER_VERSIONS.email,
      },
    });
  });

  it.each([
    ['', 'single "@"'],
    ['jane', 'single "@"'],
    ['@example.com', 'single "@"'],
    ['jane@', 'single "@"'],
    ['jane@example', 'invalid domain "example"'],
    ['jane@-example.com', 'invalid domain'],
    ['jane@exa mple.com', 'invalid domain'],
    ['ja ne@example.com', 'invalid local part "ja ne"'],
    ['jane..doe@example.com', 'invalid local part'],
    ['.jane@example.com', 'invalid local part'],
    ['jane@example.c', 'invalid domain'],
    ['a@b@example.com', 'invalid local part "a@b"'],
    ['...@gmail.com', 'invalid local part'],
  ])('rejects %j naming the problem', (raw, fragment) => {
    const e = error({ kind: 'email', value: raw });
    expect(e).toContain(`email ${JSON.stringify(raw)} is not a valid email address`);
    expect(e).toContain(fragment);
  });
});

describe('phone', () => {
  it.each([
    ['+44 20 7946 0958', GB, '+442079460958'],
    ['020 7946 0958', GB, '+442079460958'],
    ['0044 20 7946 0958', GB, '+442079460958'],
    ['(020) 7946-0958', GB, '+442079460958'],
    ['07400 123456', GB, '+447400123456'],
    ['(415) 555-2671', US, '+14155552671'],
    ['415.555.2671', US, '+14155552671'],
    ['+1 415 555 2671', GB, '+14155552671'],
    ['011 44 20 7946 0958', US, '+442079460958'],
    ['tel:+1-415-555-2671', GB, '+14155552671'],
    ['+44 20 7946 0958 ext. 12', GB, '+442079460958'],
    ['+33 1 42 68 53 00', US, '+33142685300'],
  ])('%s (%o) → %s', (raw, options, expected) => {
    expect(value({ kind: 'phone', value: raw }, options)).toBe(expected);
  });

  it('gives the same identifier for national and international spellings', () => {
    const a = normaliseIdentifier({ kind: 'phone', value: '020 7946 0958' }, GB);
    const b = normaliseIdentifier({ kind: 'phone', value: '+44 (0)20 7946 0958' }, US);
    expect(a.ok && b.ok && a.identifier.value === b.identifier.value).toBe(true);
    expect(a.ok && a.identifier).toMatchObject({
      namespace: '',
      raw: '020 7946 0958',
      version: NORMALISER_VERSIONS.phone,
    });
  });

  it('reads national numbers with the configured region', () => {
    expect(value({ kind: 'phone', value: '(415) 555-2671' }, US)).toBe('+14155552671');
    expect(error({ kind: 'phone', value: '(415) 555-2671' }, GB)).toContain('for region GB');
  });

  it.each([
    ['12ab', GB],
    ['', GB],
    ['hello', US],
    ['020 7946 095', GB],
    ['+44 20 7946 09581234', GB],
    ['555-2671', US],
  ])('rejects %j with a message naming the region', (raw, options) => {
    expect(error({ kind: 'phone', value: raw }, options)).toContain(
      `phone ${JSON.stringify(raw)} is not a valid phone number for region ${options.defaultRegion}`,
    );
  });

  it('answers a repeated number from the cache with the same result', () => {
    const first = value({ kind: 'phone', value: '020 7946 0958' });
    expect(value({ kind: 'phone', value: '020 7946 0958' })).toBe(first);
    // The cache is keyed by region too: the same digits are not a US number.
    expect(error({ kind: 'phone', value: '020 7946 0958' }, US)).toContain('for region US');
  });
});

describe('social', () => {
  it.each([
    [{ namespace: 'x', value: ' 783214 ' }, 'x', '783214'],
    [{ namespace: 'twitter', value: '783214' }, 'x', '783214'],
    [{ namespace: 'X', value: '783214' }, 'x', '783214'],
    [{ namespace: 'facebook:page:1122', value: '556677' }, 'facebook:page:1122', '556677'],
    [{ namespace: 'Facebook:Page:1122', value: '556677' }, 'facebook:page:1122', '556677'],
    [
      { namespace: 'instagram:business:9988', value: '17841400000' },
      'instagram:business:9988',
      '17841400000',
    ],
    [{ namespace: 'x:handle', value: '@JackDorsey' }, 'x:handle', 'jackdorsey'],
    [{ namespace: 'instagram:handle', value: 'Some.Body_1' }, 'instagram:handle', 'some.body_1'],
    [{ namespace: 'linkedin', value: 'ACoAAB1x-Yz' }, 'linkedin', 'ACoAAB1x-Yz'],
    [{ namespace: 'tiktok:handle', value: '@Dance-Star' }, 'tiktok:handle', 'dance-star'],
  ])('%j → %s / %s', (input, namespace, expected) => {
    const r = normaliseIdentifier({ kind: 'social', ...input }, GB);
    expect(r).toEqual({
      ok: true,
      identifier: {
        kind: 'social',
        namespace,
        value: expected,
        raw: input.value,
        version: NORMALISER_VERSIONS.social,
      },
    });
  });

  it('marks handle namespaces as weak and id namespaces as not', () => {
    expect(isSocialHandleNamespace('x:handle')).toBe(true);
    expect(isSocialHandleNamespace('x')).toBe(false);
    expect(isSocialHandleNamespace('facebook:page:1122')).toBe(false);
  });

  it.each([
    [{ value: '783214' }, 'a namespace naming the platform'],
    [{ namespace: 'facebook', value: '556677' }, '"facebook:page:<id>"'],
    [{ namespace: 'instagram', value: '1' }, '"instagram:business:<id>"'],
    [{ namespace: 'facebook:group:1', value: '1' }, 'scope of "page" or "app"'],
    [{ namespace: 'x:page:1', value: '1' }, 'none (ids are global)'],
    [{ namespace: 'facebook:page:abc', value: '1' }, 'valid facebook page id'],
    [{ namespace: 'x', value: '@jack' }, 'numeric x user id (for a handle use namespace "x:handle")'],
    [{ namespace: 'x', value: '' }, 'numeric x user id'],
    [{ namespace: 'x:handle', value: '@this_handle_is_too_long' }, 'x handle'],
    [{ namespace: 'x:handle:extra:parts', value: '1' }, 'of the form'],
    [{ namespace: 'linkedin', value: 'has space' }, 'without spaces'],
  ])('rejects %j', (input, fragment) => {
    const e = error({ kind: 'social', ...input });
    expect(e).toContain(`social id ${JSON.stringify(input.value)}`);
    expect(e).toContain(fragment);
  });
});

describe('external', () => {
  it.each([
    ['hubspot:contact', ' 12345 ', 'hubspot:contact', '12345'],
    ['Stripe:Customer', 'cus_NffrFeUfNV2Hib', 'stripe:customer', 'cus_NffrFeUfNV2Hib'],
    ['salesforce:contact', '003D000000QbXyZ', 'salesforce:contact', '003D000000QbXyZ'],
    ['bamboohr:employee', '42', 'bamboohr:employee', '42'],
  ])('%s %j → %s %s (case of the id kept)', (namespace, raw, ns, expected) => {
    const r = normaliseIdentifier({ kind: 'external', namespace, value: raw }, GB);
    expect(r).toEqual({
      ok: true,
      identifier: {
        kind: 'external',
        namespace: ns,
        value: expected,
        raw,
        version: NORMALISER_VERSIONS.external,
      },
    });
  });

  it('keeps differently cased ids apart', () => {
    expect(value({ kind: 'external', namespace: 'salesforce:contact', value: '003D000000QbXyZ' })).not.toBe(
      value({ kind: 'external', namespace: 'salesforce:contact', value: '003D000000QbXyz' }),
    );
  });

  it.each([
    [undefined, '1', 'namespace "" is not valid: expected "system:object"'],
    ['hubspot', '1', 'namespace "hubspot" is not valid'],
    ['hubspot:contact:x', '1', 'is not valid'],
    ['hubspot:contact', '   ', 'expected a non-empty id'],
    ['hubspot:contact', 'x'.repeat(513), 'at most 512 characters'],
  ])('rejects namespace %j value %j', (namespace, raw, fragment) => {
    const input: IdentifierInput =
      namespace === undefined
        ? { kind: 'external', value: raw }
        : { kind: 'external', namespace, value: raw };
    expect(error(input)).toContain(fragment);
  });
});

it('rejects an unknown kind by name', () => {
  expect(error({ kind: 'fax' as never, value: '1' })).toBe(
    'identifier kind "fax" is not one of email, phone, social, external',
  );
});

it('versions every kind with a positive integer', () => {
  for (const v of Object.values(NORMALISER_VERSIONS)) expect(Number.isInteger(v) && v > 0).toBe(true);
});
