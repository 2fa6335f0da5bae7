import type { Path } from 'graphql/jsutils/Path.js';
import { appendAudit } from '../audit/audit-log.js';
import { inTransaction } from '../db/sql.js';
import type { RequestContext } from '../graphql/context.js';
import { isRole, type Principal } from './policy.js';

/** What the security layer keeps per request, beside the request context (never shared). */
export interface RequestSecurity {
  /** Why the caller reads personal data (`x-purpose` header), for the audit log. */
  purpose: string | null;
  /** How the caller authenticated: api-key, oidc, demo or anonymous. */
  method: 'api-key' | 'oidc' | 'demo' | 'anonymous' | 'open';
  /** Customer id → personal fields read (and which of them were masked). */
  reads: Map<string, { fields: Set<string>; masked: Set<string> }>;
  /** Response path of an object → the customers it belongs to (filled as resolvers run). */
  owners: Map<string, string[]>;
}

const STATES = new WeakMap<object, RequestSecurity>();

export function attachRequestSecurity(ctx: object, init: Pick<RequestSecurity, 'purpose' | 'method'>): RequestSecurity {
  const state: RequestSecurity = { ...init, reads: new Map(), owners: new Map() };
  STATES.set(ctx, state);
  return state;
}

/** The request's security state; a context nobody attached one to (a subscription) gets an empty one. */
export function requestSecurity(ctx: object): RequestSecurity {
  let state = STATES.get(ctx);
  if (!state) state = attachRequestSecurity(ctx, { purpose: null, method: 'anonymous' });
  return state;
}

export function principalOf(ctx: { role?: string | null } | undefined): Principal {
  return isRole(ctx?.role) ? ctx.role : 'anonymous';
}

export function pathKey(path: Path | undefined): string {
  const keys: (string | number)[] = [];
  for (let p = path; p; p = p.prev) keys.push(p.key);
  return keys.reverse().join('.');
}

/** Remembers that the object at `path` belongs to these customers. */
export function registerOwner(state: RequestSecurity, path: Path | undefined, ids: (string | null | undefined)[]): void {
  const clean = ids.filter((id): id is string => typeof id === 'string' && id.length > 0);
  if (clean.length) state.owners.set(pathKey(path), clean);
}

/** Records a read of a personal field under the nearest object known to belong to a customer. */
export function recordRead(state: RequestSecurity, path: Path, field: string, masked: boolean): void {
  for (let p: Path | undefined = path.prev; p; p = p.prev) {
    const owners = state.owners.get(pathKey(p));
    if (!owners) continue;
    for (const id of owners) {
      let entry = state.reads.get(id);
      if (!entry) state.reads.set(id, (entry = { fields: new Set(), masked: new Set() }));
      entry.fields.add(field);
      if (masked) entry.masked.add(field);
    }
    return;
  }
}

/**
 * Writes ONE hash-chained audit event per customer whose personal data this request read: actor,
 * role, purpose, customer, fields (and which were masked), time. One transaction for the request.
 */
export async function flushReadAudit(ctx: RequestContext, operationName: string | null): Promise<number> {
  const state = STATES.get(ctx);
  if (!state || !state.reads.size) return 0;
  const reads = [...state.reads.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  state.reads = new Map();
  await inTransaction(ctx.services.dataSource, async (sql) => {
    for (const [customerId, r] of reads) {
      await appendAudit(sql, {
        actor: ctx.actor,
        role: ctx.role,
        action: 'customer.read',
        customerId,
        purpose: state.purpose,
        details: {
          fields: [...r.fields].sort(),
          masked: [...r.masked].sort(),
          requestId: ctx.requestId,
          ...(operationName ? { operation: operationName } : {}),
        },
      });
    }
  });
  return reads.length;
}
