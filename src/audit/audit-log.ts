import crypto from 'node:crypto';
import type { Sql } from '../db/sql.js';

export interface AuditInput {
  actor: string;
  role?: string | null;
  action: string;
  customerId?: string | null;
  purpose?: string | null;
  details?: Record<string, unknown>;
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** An event's fields as they are stored and hashed, absent ones made null (details: {}). */
function auditFields(e: AuditInput) {
  return {
    actor: e.actor,
    role: e.role ?? null,
    action: e.action,
    customerId: e.customerId ?? null,
    purpose: e.purpose ?? null,
    details: e.details ?? {},
  };
}

/** The canonical JSON of one audit row: what its hash covers besides the hash before it. */
function canonicalJson(e: AuditInput, seq: string, occurredAt: string): string {
  return stableJson({ seq, occurredAt, ...auditFields(e) });
}

/** The hash of one audit row: its content and the hash of the row before it. */
export function auditHash(
  prevHash: string | null,
  row: { seq: string; occurredAt: string } & AuditInput,
): string {
  return crypto
    .createHash('sha256')
    .update(prevHash ?? 'genesis')
    .update('\n')
    .update(canonicalJson(row, row.seq, row.occurredAt))
    .digest('hex');
}

/** Stand-ins for the two values only the database knows when it appends (see `hashParts`). */
const AT_MARK = '\u0000occurredAt\u0000';
const SEQ_MARK = '\u0000seq\u0000';
const AT_TOKEN = JSON.stringify(AT_MARK);
const SEQ_TOKEN = JSON.stringify(SEQ_MARK);

/**
 * An event's canonical JSON (exactly what `auditHash` hashes) cut into three parts around its
 * `occurredAt` and `seq` values, which the database fills in under the chain's lock. Keys are
 * sorted, so `occurredAt` and `seq` are the last of their kind in the text (`seq` is the last key),
 * and a JSON string value can never contain a token's bare quotes: the cuts are unambiguous.
 */
function hashParts(e: AuditInput): { p0: string; p1: string; p2: string } {
  const json = canonicalJson(e, SEQ_MARK, AT_MARK);
  const at = json.lastIndexOf(AT_TOKEN);
  const seq = json.lastIndexOf(SEQ_TOKEN);
  return {
    p0: json.slice(0, at),
    p1: json.slice(at + AT_TOKEN.length, seq),
    p2: json.slice(seq + SEQ_TOKEN.length),
  };
}

/**
 * Appends events to the hash-chained audit log in ONE statement however many there are
 * (`audit_append`, migration AuditAppendFunction): the chain lock, the head, one sequence number and
 * one hash per event, the rows. Inside the caller's transaction the lock is held until it commits;
 * alone, the statement is its own transaction. Rows are written once, complete with their hash:
 * the app never needs UPDATE on audit rows. `async`: commit without waiting for the WAL flush
 * (read audits with READ_AUDIT_COMMIT=async; never for changes to the graph).
 */
export async function appendAuditBatch(
  sql: Sql,
  events: AuditInput[],
  options: { async?: boolean } = {},
): Promise<void> {
  if (!events.length) return;
  const payload = events.map((e) => ({ ...hashParts(e), ...auditFields(e) }));
  await sql(`SELECT audit_append($1::jsonb, $2::boolean)`, [JSON.stringify(payload), options.async ?? false]);
}

/** Appends one event to the hash-chained audit log, inside the caller's transaction. */
export function appendAudit(sql: Sql, input: AuditInput): Promise<void> {
  return appendAuditBatch(sql, [input]);
}
