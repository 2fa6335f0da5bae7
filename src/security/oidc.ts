import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Role } from './policy.js';

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** JWKS address; when absent it is read from the issuer's /.well-known/openid-configuration. */
  jwksUrl?: string;
  /** Claim holding the role(s): a name or a dotted path such as `realm_access.roles`. */
  roleClaim?: string;
  clockToleranceSeconds?: number;
}

export interface OidcPrincipal {
  actor: string;
  role: Role;
}

/** Most privileged first: a token listing several hub roles acts with the strongest. */
const ROLE_ORDER: Role[] = ['admin', 'supervisor', 'agent', 'analyst', 'integrator'];

function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

export function roleFromClaim(value: unknown): Role | null {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return ROLE_ORDER.find((r) => list.includes(r)) ?? null;
}

/** Verifies OIDC access tokens against the issuer's JWKS (keys cached and refreshed by jose). */
export function createOidcVerifier(options: OidcOptions): (token: string) => Promise<OidcPrincipal | null> {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keys = async () => {
    if (jwks) return jwks;
    let url = options.jwksUrl;
    if (!url) {
      const res = await fetch(`${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      const doc = (await res.json()) as { jwks_uri?: string };
      if (!doc.jwks_uri) throw new Error(`OIDC issuer ${options.issuer} publishes no jwks_uri`);
      url = doc.jwks_uri;
    }
    jwks = createRemoteJWKSet(new URL(url));
    return jwks;
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, await keys(), {
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp'],
      });
      const role = roleFromClaim(claimAt(payload, options.roleClaim ?? 'roles'));
      if (!role || !payload.sub) return null;
      return { actor: `oidc:${payload.sub}`, role };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null;
      throw err;
    }
  };
}
