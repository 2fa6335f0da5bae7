/** Bump when the output for some input changes. */
export const SOCIAL_NORMALISER_VERSION = 1;

export type SocialResult = { ok: true; namespace: string; value: string } | { ok: false; error: string };

/**
 * Handles are mutable and get recycled by platforms, so they live in their own namespace
 * (`x:handle`, `instagram:handle`) and are weak evidence: the resolution service should make
 * suggestions from them, never deterministic links. Stable user ids use the bare platform
 * namespace (or the platform's scope, below).
 */
export const SOCIAL_HANDLE_SCOPE = 'handle';

/** True for `<platform>:handle` namespaces, whose values must not link records on their own. */
export function isSocialHandleNamespace(namespace: string): boolean {
  return namespace.endsWith(`:${SOCIAL_HANDLE_SCOPE}`);
}

interface PlatformRule {
  /** Scope kinds the platform's ids are relative to; empty when ids are global. */
  readonly scopes: readonly string[];
  /** Stable ids of this platform are numeric strings. */
  readonly numericIds: boolean;
  readonly handle: RegExp;
}

// Meta's page-scoped ids (PSID) differ per page and Instagram-scoped ids (IGSID) per
// professional account, so the same person on two pages is two identifiers unless the Graph
// API cross-references them; X user ids are global.
const PLATFORMS: ReadonlyMap<string, PlatformRule> = new Map([
  ['x', { scopes: [], numericIds: true, handle: /^[a-z0-9_]{1,15}$/ }],
  ['facebook', { scopes: ['page', 'app'], numericIds: true, handle: /^[a-z0-9.]{1,50}$/ }],
  ['instagram', { scopes: ['business'], numericIds: true, handle: /^[a-z0-9._]{1,30}$/ }],
]);
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['twitter', 'x'],
  ['fb', 'facebook'],
  ['ig', 'instagram'],
]);

const PLATFORM_NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const GENERIC_HANDLE = /^[a-z0-9._-]{1,100}$/;
const DIGITS = /^[0-9]{1,30}$/;
const SCOPE_ID = /^[A-Za-z0-9_.-]{1,100}$/;
const ID_VALUE = /^[^\s]{1,256}$/;

/**
 * namespace: `platform` (global ids), `platform:scope:scopeId` (e.g. `facebook:page:123`,
 * `instagram:business:456`) or `platform:handle`. value: the user id (trimmed, case kept) or
 * the handle (leading `@` dropped, lower-cased).
 */
export function normaliseSocial(namespace: string | undefined, raw: string): SocialResult {
  const parts = (namespace ?? '').trim().split(':');
  const platformRaw = (parts[0] ?? '').toLowerCase();
  const platform = ALIASES.get(platformRaw) ?? platformRaw;
  if (!PLATFORM_NAME.test(platform)) {
    return fail(
      raw,
      namespace,
      'a namespace naming the platform, e.g. "x", "facebook:page:<pageId>", "instagram:business:<id>" or "x:handle"',
    );
  }
  const rule = PLATFORMS.get(platform);
  const value = raw.trim();

  if (parts.length === 2 && parts[1]?.toLowerCase() === SOCIAL_HANDLE_SCOPE) {
    const handle = (value.startsWith('@') ? value.slice(1) : value).toLowerCase();
    const pattern = rule?.handle ?? GENERIC_HANDLE;
    if (!pattern.test(handle)) return fail(raw, namespace, `a ${platform} handle matching ${pattern.source}`);
    return { ok: true, namespace: `${platform}:${SOCIAL_HANDLE_SCOPE}`, value: handle };
  }

  let ns = platform;
  if (parts.length === 3) {
    const scope = (parts[1] ?? '').toLowerCase();
    const scopeId = (parts[2] ?? '').trim();
    if (rule !== undefined && !rule.scopes.includes(scope)) {
      return fail(
        raw,
        namespace,
        `a ${platform} scope of ${rule.scopes.length === 0 ? 'none (ids are global)' : rule.scopes.map((s) => `"${s}"`).join(' or ')}`,
      );
    }
    if (!SCOPE_ID.test(scopeId) || (rule?.numericIds === true && !DIGITS.test(scopeId))) {
      return fail(raw, namespace, `a valid ${platform} ${scope} id in the namespace`);
    }
    ns = `${platform}:${scope}:${scopeId}`;
  } else if (parts.length !== 1) {
    return fail(
      raw,
      namespace,
      'a namespace of the form "platform", "platform:scope:scopeId" or "platform:handle"',
    );
  } else if (rule !== undefined && rule.scopes.length > 0) {
    return fail(
      raw,
      namespace,
      `a scoped namespace for ${platform}: ${rule.scopes.map((s) => `"${platform}:${s}:<id>"`).join(' or ')} (its user ids differ per ${rule.scopes[0]})`,
    );
  }

  if (rule?.numericIds === true ? !DIGITS.test(value) : !ID_VALUE.test(value)) {
    return fail(
      raw,
      namespace,
      rule?.numericIds === true
        ? `a numeric ${platform} user id (for a handle use namespace "${platform}:handle")`
        : 'a non-empty user id without spaces',
    );
  }
  return { ok: true, namespace: ns, value };
}

function fail(raw: string, namespace: string | undefined, expected: string): SocialResult {
  return {
    ok: false,
    error: `social id ${JSON.stringify(raw)} in namespace ${JSON.stringify(namespace ?? '')} is not valid: expected ${expected}`,
  };
}
