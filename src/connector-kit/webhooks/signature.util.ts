import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a webhook was refused; a closed set so the ingest layer can map each to an answer. */
export type WebhookVerificationReason = 'missing_signature' | 'bad_signature' | 'stale' | 'malformed';

/**
 * Thrown by every `verify*` helper when a delivery must be refused.
 *
 * @example
 * try { verifyStripeSignature({ payload, headers, secret }); }
 * catch (e) { if (e instanceof WebhookVerificationError) res.status(400).send(e.reason); }
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';
/** Raw request bytes; signatures are always over the exact bytes received, never re-serialised JSON. */
export type RawPayload = string | Buffer | Uint8Array;
/** Incoming headers as Node gives them (lower-case keys) or any casing; lookups ignore case. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * HMAC of `data` under `secret`, encoded as hex or base64.
 *
 * @example
 * hmac('sha256', 'whsec_x', `${t}.${body}`, 'hex');
 */
export function hmac(
  alg: HmacAlgorithm,
  secret: string | Buffer,
  data: RawPayload | readonly RawPayload[],
  encoding: SignatureEncoding,
): string {
  const mac = createHmac(alg, secret);
  const parts: readonly RawPayload[] = Array.isArray(data)
    ? (data as readonly RawPayload[])
    : [data as RawPayload];
  for (const part of parts) mac.update(part);
  return mac.digest(encoding);
}

/**
 * Constant-time string comparison. Unequal lengths return false without comparing contents
 * (timingSafeEqual needs equal-length buffers; the length itself is not secret).
 *
 * @example
 * safeEqual(expectedHex, headerHex); // true | false
 */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/**
 * True when `timestampSeconds` lies within `toleranceSeconds` of `nowMs`, either side
 * (a clock a little ahead of ours is not an attack; a replay from long ago is).
 *
 * @example
 * withinWindow(Number(t), Date.now(), 300);
 */
export function withinWindow(timestampSeconds: number, nowMs: number, toleranceSeconds: number): boolean {
  if (!Number.isFinite(timestampSeconds)) return false;
  return Math.abs(nowMs / 1000 - timestampSeconds) <= toleranceSeconds;
}

/** Case-insensitive single header value (first one when repeated), or undefined. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = typeof value === 'string' ? value : value[0];
    return first === undefined ? undefined : first;
  }
  return undefined;
}

/** Header value that must be present, else `missing_signature`. */
export function requireHeader(headers: HeaderBag, name: string): string {
  const value = headerValue(headers, name);
  if (value === undefined || value.trim() === '') {
    throw new WebhookVerificationError('missing_signature', `missing ${name} header`);
  }
  return value.trim();
}

/** Parses an integer timestamp header or throws `malformed`. */
export function parseTimestamp(value: string, name: string): number {
  if (!/^\d{1,16}$/.test(value))
    throw new WebhookVerificationError('malformed', `${name} is not an integer timestamp`);
  return Number(value);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HEX = /^[0-9a-fA-F]+$/;

/** Checks a presented signature's encoding, so a garbled header reads as malformed, not just wrong. */
export function assertEncoding(value: string, encoding: SignatureEncoding, name: string): void {
  const ok =
    encoding === 'hex'
      ? HEX.test(value) && value.length % 2 === 0
      : BASE64.test(value) && value.length % 4 === 0;
  if (!ok) throw new WebhookVerificationError('malformed', `${name} is not ${encoding}`);
}

export function toBuffer(payload: RawPayload): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}
