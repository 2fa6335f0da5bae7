import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { safeEqual } from '../connector-kit/webhooks/signature.util.js';
import { pathMatches, type PathPattern } from './path-match.util.js';

type Accepts<A extends unknown[]> = readonly string[] | ReadonlySet<string> | ((...args: A) => boolean);

export type AuthSpec =
  | { type: 'bearer'; tokens: Accepts<[token: string]> }
  | {
      type: 'basic';
      credentials: Readonly<Record<string, string>> | ((user: string, password: string) => boolean);
    }
  | { type: 'apiKey'; header?: string; query?: string; keys: Accepts<[key: string]> };

export type AuthFailure = 'missing' | 'invalid';

export interface UnauthorizedContext {
  req: Request;
  res: Response;
  reason: AuthFailure;
  scheme: AuthSpec['type'];
}

export interface AuthOptions {
  /** any one scheme accepting the request is enough */
  schemes: AuthSpec | readonly AuthSpec[];
  /** paths that need no credential (OAuth token endpoint, CRC check...) */
  except?: readonly PathPattern[];
  /** writes the vendor-shaped 401; default `{ error: 'unauthorized', message }` with WWW-Authenticate */
  unauthorized?: (ctx: UnauthorizedContext) => void;
}

export const bearer = (tokens: Accepts<[token: string]>): AuthSpec => ({ type: 'bearer', tokens });
export const basic = (
  credentials: Readonly<Record<string, string>> | ((user: string, password: string) => boolean),
): AuthSpec => ({
  type: 'basic',
  credentials,
});
export const apiKey = (opts: {
  header?: string;
  query?: string;
  keys: Accepts<[key: string]>;
}): AuthSpec => ({ type: 'apiKey', ...opts });

function accepts(list: Accepts<[string]>, value: string): boolean {
  if (typeof list === 'function') return list(value);
  for (const candidate of list) if (safeEqual(candidate, value)) return true;
  return false;
}

/** The raw credential a request presents under a scheme, or undefined. */
function presented(req: Request, spec: AuthSpec): { credential: string; password?: string } | undefined {
  const header = req.headers.authorization ?? '';
  if (spec.type === 'bearer') {
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return m?.[1] ? { credential: m[1].trim() } : undefined;
  }
  if (spec.type === 'basic') {
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (!m?.[1]) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { credential: decoded, password: '' };
    return { credential: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const fromHeader = spec.header ? req.get(spec.header) : undefined;
  const q = spec.query ? req.query[spec.query] : undefined;
  const value = fromHeader ?? (typeof q === 'string' ? q : undefined);
  return value ? { credential: value } : undefined;
}

export interface AuthResult {
  ok: boolean;
  credential: string;
  reason?: AuthFailure;
  scheme: AuthSpec['type'];
}

/** Checks a request against schemes; the credential is reported even when refused (stats count it). */
export function checkAuth(req: Request, schemes: AuthSpec | readonly AuthSpec[]): AuthResult {
  const list: readonly AuthSpec[] = Array.isArray(schemes) ? schemes : [schemes as AuthSpec];
  let seen: AuthResult | undefined;
  for (const spec of list) {
    const p = presented(req, spec);
    if (!p) continue;
    let ok: boolean;
    if (spec.type === 'basic') {
      const creds = spec.credentials;
      if (typeof creds === 'function') ok = creds(p.credential, p.password ?? '');
      else {
        const expected = creds[p.credential];
        ok = expected !== undefined && safeEqual(expected, p.password ?? '');
      }
    } else {
      ok = accepts(spec.type === 'bearer' ? spec.tokens : spec.keys, p.credential);
    }
    if (ok) return { ok, credential: p.credential, scheme: spec.type };
    seen ??= { ok: false, credential: p.credential, reason: 'invalid', scheme: spec.type };
  }
  return seen ?? { ok: false, credential: 'anonymous', reason: 'missing', scheme: list[0]?.type ?? 'bearer' };
}

/** Best-effort credential for stats/throttling when no auth is configured. */
export function credentialOf(req: Request, schemes?: AuthSpec | readonly AuthSpec[]): string {
  if (schemes) return checkAuth(req, schemes).credential;
  const header = req.headers.authorization ?? '';
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(header);
  if (!m?.[2]) return 'anonymous';
  if (m[1]?.toLowerCase() === 'basic')
    return Buffer.from(m[2], 'base64').toString('utf8').split(':')[0] ?? 'anonymous';
  return m[2].trim();
}

export function defaultUnauthorized({ res, reason, scheme }: UnauthorizedContext): void {
  if (scheme === 'bearer') res.set('WWW-Authenticate', 'Bearer');
  if (scheme === 'basic') res.set('WWW-Authenticate', 'Basic realm="simulator"');
  res.status(401).json({
    error: 'unauthorized',
    message: reason === 'missing' ? 'credentials required' : 'invalid credentials',
  });
}

/** Express middleware enforcing `options`; usable per route as well as server-wide. */
export function requireAuth(options: AuthOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (options.except && pathMatches(options.except, req.path)) return next();
    const result = checkAuth(req, options.schemes);
    if (result.ok) return next();
    (options.unauthorized ?? defaultUnauthorized)({
      req,
      res,
      reason: result.reason ?? 'invalid',
      scheme: result.scheme,
    });
  };
}
