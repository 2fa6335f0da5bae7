import { describe, expect, it } from '@jest/globals';
import {
  hmac,
  safeEqual,
  withinWindow,
  WebhookVerificationError,
  type HeaderBag,
  type WebhookVerificationReason,
  signStripe,
  verifyStripe,
  signHubSpot,
  verifyHubSpot,
  hubspotCanonicalUri,
  signTwilio,
  verifyTwilio,
  signZendesk,
  verifyZendesk,
  signMeta,
  verifyMeta,
  metaVerifyChallenge,
  signX,
  verifyX,
  xCrcResponseToken,
  signBambooHr,
  verifyBambooHr,
} from './index.js';

const NOW_MS = 1_700_000_100_000;
const SIGNED_AT_S = 1_700_000_000; // 100 s before NOW
const BODY = '{"id":"evt_1","type":"customer.updated","data":{"name":"Zoë"}}';
const TAMPERED = BODY.replace('Zoë', 'Zoe');

function reasonOf(fn: () => unknown): WebhookVerificationReason | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.reason;
    throw e;
  }
}

interface Scheme {
  name: string;
  sign(body: string, secret: string, atMs: number): Record<string, string>;
  verify(body: string, headers: HeaderBag, secret: string, nowMs: number): unknown;
  /** header name to corrupt, and a garbled value */
  malformed: [string, string];
  hasTimestamp: boolean;
}

const HUB_URL = 'https://hub.example.com/webhooks/hubspot?portal=62515';
const TWILIO_URL = 'https://hub.example.com/webhooks/twilio/voice';
const formBody = (body: string): Record<string, string> => ({
  CallSid: 'CA123',
  Body: body,
  From: '+442079460958',
});

const schemes: Scheme[] = [
  {
    name: 'stripe',
    sign: (b, s, at) => signStripe({ payload: b, secret: s, timestampSeconds: Math.floor(at / 1000) }),
    verify: (b, h, s, now) => verifyStripe({ payload: b, headers: h, secret: s, nowMs: now }),
    malformed: ['Stripe-Signature', 'v1=abc'],
    hasTimestamp: true,
  },
  {
    name: 'hubspot',
    sign: (b, s, at) => signHubSpot({ payload: b, secret: s, method: 'POST', uri: HUB_URL, timestampMs: at }),
    verify: (b, h, s, now) =>
      verifyHubSpot({ payload: b, headers: h, secret: s, method: 'POST', uri: HUB_URL, nowMs: now }),
    malformed: ['X-HubSpot-Request-Timestamp', 'yesterday'],
    hasTimestamp: true,
  },
  {
    name: 'twilio',
    sign: (b, s) => signTwilio({ authToken: s, url: TWILIO_URL, params: formBody(b) }),
    verify: (b, h, s) => verifyTwilio({ authToken: s, url: TWILIO_URL, params: formBody(b), headers: h }),
    malformed: ['X-Twilio-Signature', 'not base64!'],
    hasTimestamp: false,
  },
  {
    name: 'zendesk',
    sign: (b, s, at) => signZendesk({ payload: b, secret: s, timestamp: new Date(at).toISOString() }),
    verify: (b, h, s, now) => verifyZendesk({ payload: b, headers: h, secret: s, nowMs: now }),
    malformed: ['X-Zendesk-Webhook-Signature-Timestamp', 'not-a-date'],
    hasTimestamp: true,
  },
  {
    name: 'meta',
    sign: (b, s) => signMeta({ payload: b, appSecret: s }),
    verify: (b, h, s) => verifyMeta({ payload: b, headers: h, appSecret: s }),
    malformed: ['X-Hub-Signature-256', 'md5=abcd'],
    hasTimestamp: false,
  },
  {
    name: 'x',
    sign: (b, s) => signX({ payload: b, consumerSecret: s }),
    verify: (b, h, s) => verifyX({ payload: b, headers: h, consumerSecret: s }),
    malformed: ['x-twitter-webhooks-signature', 'sha256=%%%'],
    hasTimestamp: false,
  },
  {
    name: 'bamboohr',
    sign: (b, s, at) => signBambooHr({ payload: b, secret: s, timestampSeconds: Math.floor(at / 1000) }),
    verify: (b, h, s, now) => verifyBambooHr({ payload: b, headers: h, secret: s, nowMs: now }),
    malformed: ['X-BambooHR-Timestamp', '17e8'],
    hasTimestamp: true,
  },
];

// Node lower-cases incoming header names; verification must not depend on casing.
const lowerCased = (h: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe.each(schemes)('$name signature', (scheme) => {
  const secret = `secret-${scheme.name}`;
  const good = scheme.sign(BODY, secret, SIGNED_AT_S * 1000);

  it('accepts a good signature (headers in any case)', () => {
    expect(reasonOf(() => scheme.verify(BODY, good, secret, NOW_MS))).toBe('ok');
    expect(reasonOf(() => scheme.verify(BODY, lowerCased(good), secret, NOW_MS))).toBe('ok');
  });
  it('refuses a tampered body', () => {
    expect(reasonOf(() => scheme.verify(TAMPERED, good, secret, NOW_MS))).toBe('bad_signature');
  });
  it('refuses the wrong secret', () => {
    expect(reasonOf(() => scheme.verify(BODY, good, 'other-secret', NOW_MS))).toBe('bad_signature');
  });
  it('refuses a missing signature', () => {
    expect(reasonOf(() => scheme.verify(BODY, {}, secret, NOW_MS))).toBe('missing_signature');
  });
  it('refuses a malformed header', () => {
    const [name, value] = scheme.malformed;
    expect(reasonOf(() => scheme.verify(BODY, { ...good, [name]: value }, secret, NOW_MS))).toBe('malformed');
  });
  if (scheme.hasTimestamp) {
    it('refuses a stale timestamp and accepts one inside the window', () => {
      const old = scheme.sign(BODY, secret, NOW_MS - 301_000);
      expect(reasonOf(() => scheme.verify(BODY, old, secret, NOW_MS))).toBe('stale');
      const recent = scheme.sign(BODY, secret, NOW_MS - 299_000);
      expect(reasonOf(() => scheme.verify(BODY, recent, secret, NOW_MS))).toBe('ok');
    });
  }
});

describe('known-answer vectors', () => {
  it('stripe v1 is hex HMAC-SHA256 of "t.body" (computed with openssl)', () => {
    const h = signStripe({
      payload: '{"id":"evt_1"}',
      secret: 'whsec_test',
      timestampSeconds: 1_700_000_000,
    });
    expect(h['Stripe-Signature']).toBe(
      't=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925',
    );
  });
  it("twilio matches Twilio's published example", () => {
    const h = signTwilio({
      authToken: '12345',
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
      params: {
        CallSid: 'CA1234567890ABCDE',
        Caller: '+14158675309',
        Digits: '1234',
        From: '+14158675309',
        To: '+18005551212',
      },
    });
    expect(h['X-Twilio-Signature']).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });
  it('stripe accepts any one of several v1 entries (secret roll)', () => {
    const h = signStripe({
      payload: BODY,
      secret: 'old',
      extraSecrets: ['new'],
      timestampSeconds: SIGNED_AT_S,
    });
    expect(reasonOf(() => verifyStripe({ payload: BODY, headers: h, secret: 'new', nowMs: NOW_MS }))).toBe(
      'ok',
    );
    expect(reasonOf(() => verifyStripe({ payload: BODY, headers: h, secret: 'old', nowMs: NOW_MS }))).toBe(
      'ok',
    );
    expect(
      reasonOf(() => verifyStripe({ payload: BODY, headers: h, secret: 'neither', nowMs: NOW_MS })),
    ).toBe('bad_signature');
  });
  it('hubspot signs the URI with reserved escapes decoded', () => {
    expect(hubspotCanonicalUri('https://h.example/a%3Ab?x=%40y%2Fz%20')).toBe(
      'https://h.example/a:b?x=@y/z%20',
    );
    const h = signHubSpot({
      payload: BODY,
      secret: 's',
      method: 'POST',
      uri: 'https://h.example/a:b',
      timestampMs: NOW_MS,
    });
    const verify = (uri: string): string =>
      reasonOf(() =>
        verifyHubSpot({ payload: BODY, headers: h, secret: 's', method: 'post', uri, nowMs: NOW_MS }),
      );
    expect(verify('https://h.example/a%3Ab')).toBe('ok');
    expect(verify('https://h.example/a:c')).toBe('bad_signature');
  });
  it('X CRC answers sha256= + base64 HMAC of the token', () => {
    expect(xCrcResponseToken('challenge', 'consumer')).toBe(
      `sha256=${hmac('sha256', 'consumer', 'challenge', 'base64')}`,
    );
    expect(xCrcResponseToken('challenge', 'consumer')).not.toBe(xCrcResponseToken('challenge', 'other'));
  });
  it('meta handshake echoes the challenge only for the right verify token', () => {
    const q = { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok', 'hub.challenge': '1158201444' };
    expect(metaVerifyChallenge(q, 'tok')).toBe('1158201444');
    expect(metaVerifyChallenge(q, 'nope')).toBeNull();
  });
  it('verifies raw bytes, so a Buffer body equals its string', () => {
    const h = signMeta({ payload: BODY, appSecret: 'a' });
    expect(reasonOf(() => verifyMeta({ payload: Buffer.from(BODY), headers: h, appSecret: 'a' }))).toBe('ok');
  });
});

describe('primitives', () => {
  it('safeEqual compares content and length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
  it('withinWindow is symmetric around now', () => {
    expect(withinWindow(1000, 1_000_000, 0)).toBe(true);
    expect(withinWindow(700, 1_000_000, 300)).toBe(true);
    expect(withinWindow(699, 1_000_000, 300)).toBe(false);
    expect(withinWindow(1301, 1_000_000, 300)).toBe(false);
    expect(withinWindow(Number.NaN, 1_000_000, 300)).toBe(false);
  });
});
