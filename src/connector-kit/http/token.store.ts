/** An OAuth2 access token as the hub keeps it. An empty `accessToken` means "none yet". */
export interface Token {
  accessToken: string;
  refreshToken: string | null;
  /** null when the vendor did not say (treated as never expiring until a 401). */
  expiresAt: Date | null;
}

/**
 * Where tokens live, shared by every process serving a connector instance.
 *
 * `refreshLocked` must run `refresh` while holding an exclusive lock for the instance (a row
 * lock in Postgres), hand it the token re-read after taking the lock, and store what it
 * returns. `refresh` returns the token it was given when another holder already refreshed;
 * stores skip the write then.
 */
export interface TokenStore {
  read(instanceId: string): Promise<Token | null>;
  refreshLocked(instanceId: string, refresh: (current: Token | null) => Promise<Token>): Promise<Token>;
}

/**
 * A process-local store: enough for tests and single-process use. Refreshes for one instance
 * run one after another.
 *
 * @example
 * const store = new InMemoryTokenStore({ 'hubspot-1': { accessToken: '', refreshToken: 'r1', expiresAt: null } });
 */
export class InMemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, Token>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(initial: Record<string, Token> = {}) {
    for (const [id, token] of Object.entries(initial)) this.tokens.set(id, { ...token });
  }

  async read(instanceId: string): Promise<Token | null> {
    const t = this.tokens.get(instanceId);
    return t ? { ...t } : null;
  }

  async refreshLocked(
    instanceId: string,
    refresh: (current: Token | null) => Promise<Token>,
  ): Promise<Token> {
    const previous = this.locks.get(instanceId) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const current = await this.read(instanceId);
        const next = await refresh(current);
        this.tokens.set(instanceId, { ...next });
        return next;
      });
    this.locks.set(instanceId, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(instanceId) === run) this.locks.delete(instanceId);
    }
  }
}

/** True when the token can still be used for `skewMs` from now. */
export function isTokenFresh(token: Token | null, skewMs: number, now: number = Date.now()): token is Token {
  if (!token || token.accessToken === '') return false;
  if (token.expiresAt === null) return true;
  return token.expiresAt.getTime() - skewMs > now;
}
