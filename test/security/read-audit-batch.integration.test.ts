import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendAudit, appendAuditBatch } from '../../src/audit/audit-log.js';
import { inTransaction } from '../../src/db/sql.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('read audit under concurrent requests (group commit)', () => {
  it('appends a batch in one transaction as a valid continuation of the chain, between appendAudit rows', async () => {
    await inTransaction(db.dataSource, (sql) => appendAudit(sql, { actor: 'before', action: 'x' }));
    await inTransaction(db.dataSource, (sql) =>
      appendAuditBatch(sql, [
        {
          actor: 'a',
          role: 'agent',
          action: 'customer.read',
          purpose: 'call',
          details: { fields: ['Trait.value'], masked: [] },
        },
        { actor: 'b', role: null, action: 'customer.read', details: { n: 2 } },
        { actor: 'c', action: 'customer.read' },
      ]),
    );
    await inTransaction(db.dataSource, (sql) => appendAudit(sql, { actor: 'after', action: 'x' }));
    const rows: { actor: string }[] = await db.dataSource.query(`SELECT actor FROM audit_event ORDER BY seq`);
    expect(rows.map((r) => r.actor)).toEqual(['before', 'a', 'b', 'c', 'after']);
    expect(await verifyAuditChain(db.dataSource)).toMatchObject({ ok: true, checked: 5 });
  });

  it('every concurrent read gets its own event per customer, the chain stays intact with other writers in between', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await api.services.identity.applyPerson('hubspot', {
        objectType: 'contact',
        externalId: `RA${i}`,
        traits: { firstName: `Reader${i}`, lastName: 'Audit' },
        identifiers: [{ kind: 'email', value: `reader${i}@audit.example.com` }],
      });
      ids.push(r.customerId!);
    }
    const before: { n: string }[] = await db.dataSource.query(
      `SELECT count(*)::text AS n FROM audit_event WHERE action = 'customer.read'`,
    );
    const reads = ids.map((id) =>
      api.gql(`query($id: ID!) { customer(id: $id) { id traits { name value } } }`, { id }),
    );
    const others = Array.from({ length: 6 }, (_, i) =>
      inTransaction(db.dataSource, (sql) =>
        appendAudit(sql, { actor: `other:${i}`, action: 'test.concurrent' }),
      ),
    );
    const answers = await Promise.all(reads);
    await Promise.all(others);
    for (const a of answers) expect(a.errors).toBeUndefined();

    const events: { customerId: string; details: { fields: string[]; requestId: string } }[] =
      await db.dataSource.query(
        `SELECT customer_id AS "customerId", details FROM audit_event WHERE action = 'customer.read' ORDER BY seq OFFSET $1`,
        [Number(before[0]!.n)],
      );
    expect(events.map((e) => e.customerId).sort()).toEqual([...ids].sort());
    expect(new Set(events.map((e) => e.details.requestId)).size).toBe(ids.length);
    for (const e of events) expect(e.details.fields).toEqual(['Trait.value']);
    const total: { n: string }[] = await db.dataSource.query(`SELECT count(*)::text AS n FROM audit_event`);
    expect(Number(total[0]!.n)).toBeGreaterThan(20);
    // More than 9 rows: the check must walk them in numeric order (seq 10 after 9, not after 1).
    expect(await verifyAuditChain(db.dataSource)).toEqual({ ok: true, checked: Number(total[0]!.n) });
  });
});
