import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendAuditBatch } from '../../src/audit/audit-log.js';
import { sqlOf } from '../../src/db/sql.js';
import type { AppServices } from '../../src/graphql/context.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let server: RunningHttpServer;
let api: TestApi;
let services: AppServices;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: any[] }> {
  const res = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  server = api.server;
  services = api.services;
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('identity graph over GraphQL', () => {
  it('resolves people across systems, explains the link, unmerges with stable ids, and erases', async () => {
    const crm = await services.identity.applyPerson('hubspot', {
      objectType: 'contact',
      externalId: 'H1',
      traits: { firstName: 'Grace', lastName: 'Hopper' },
      identifiers: [{ kind: 'email', value: 'Grace.Hopper+news@Example.com' }, { kind: 'external', namespace: 'hubspot:contact', value: 'H1' }],
    });
    const billing = await services.identity.applyPerson('stripe', {
      objectType: 'customer',
      externalId: 'cus_1',
      traits: { firstName: 'Grace' },
      identifiers: [{ kind: 'email', value: 'grace.hopper@example.com' }, { kind: 'phone', value: '020 7946 0001' }],
    });
    const calls = await services.identity.applyPerson('twilio', {
      objectType: 'caller',
      externalId: '+442079460001',
      identifiers: [{ kind: 'phone', value: '+44 20 7946 0001' }],
    });
    expect(billing.customerId).toBe(crm.customerId);
    expect(calls.customerId).toBe(crm.customerId);
    const customerId = crm.customerId!;

    const byPhone = await gql(`{ customerByIdentifier(kind: PHONE, value: "02079460001") { id recordCount identities { kind value sourceRecord { system } } } }`);
    expect(byPhone.data.customerByIdentifier.id).toBe(customerId);
    expect(byPhone.data.customerByIdentifier.recordCount).toBe(3);

    const explained = await gql(`query($a: ID!, $b: ID!) { explainLink(a: $a, b: $b) { customerId path { rule evidence fromRecordId toRecordId } } }`, {
      a: crm.sourceRecordId,
      b: calls.sourceRecordId,
    });
    expect(explained.errors).toBeUndefined();
    expect(explained.data.explainLink.path.map((p: any) => p.rule)).toEqual(['exact_email', 'exact_phone']);
    expect(explained.data.explainLink.path[0].evidence.matched).toEqual(['email::grace.hopper@example.com']);

    const split = await gql(`mutation($c: ID!, $r: [ID!]!) { unmergeCustomer(customerId: $c, recordIds: $r) { customerIds } }`, {
      c: customerId,
      r: [calls.sourceRecordId],
    });
    expect(split.errors).toBeUndefined();
    const [kept, callerCustomer] = split.data.unmergeCustomer.customerIds;
    expect(kept).toBe(customerId);
    // The caller joined the customer on first sight (no throwaway id to retire); split off, it gets an id of its own.
    expect(calls.retiredIds).toEqual([]);
    expect(callerCustomer).not.toBe(customerId);
    // Re-applying the caller does not silently re-merge what a person split.
    const again = await services.identity.applyPerson('twilio', { objectType: 'caller', externalId: '+442079460001', identifiers: [{ kind: 'phone', value: '+442079460001' }] });
    expect(again.customerId).toBe(callerCustomer);

    const merged = await gql(`mutation($a: ID!, $b: ID!) { mergeCustomers(a: $a, b: $b, note: "same caller") { customerId retiredIds } }`, { a: callerCustomer, b: customerId });
    expect(merged.data.mergeCustomers).toEqual({ customerId, retiredIds: [callerCustomer] });
    const redirected = await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: callerCustomer });
    expect(redirected.data.customer.id).toBe(customerId);

    const trail = await gql(`query($id: ID!) { auditTrail(customerId: $id) { action actor hash } }`, { id: customerId });
    expect(trail.data.auditTrail.map((e: any) => e.action)).toEqual(expect.arrayContaining(['customer.merged', 'customer.unmerged']));

    const erased = await gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { customerId notify { system externalId } sourceRecordsRemoved } }`, { c: customerId });
    expect(erased.errors).toBeUndefined();
    expect(erased.data.eraseCustomer.sourceRecordsRemoved).toBe(3);
    expect(erased.data.eraseCustomer.notify.map((n: any) => n.system).sort()).toEqual(['hubspot', 'stripe', 'twilio']);
    const gone = await gql(`{ customerByIdentifier(kind: EMAIL, value: "grace.hopper@example.com") { id } }`);
    expect(gone).toEqual({ data: { customerByIdentifier: null } });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM source_record`);
    expect(n).toBe(0);
    const back = await services.identity.applyPerson('hubspot', { objectType: 'contact', externalId: 'H1', identifiers: [{ kind: 'email', value: 'grace.hopper@example.com' }] });
    expect(back.skipped).toBe('suppressed');
  });

  it('auditTrail lists a customer\'s events oldest first by sequence number, also past seq 9 and 99', async () => {
    const customerId = '00000000-0000-4000-8000-00000000a0d1';
    const sql = sqlOf(db.dataSource);
    // Six events below a power of ten and six at or above it (sequence numbers may have gaps).
    const [{ last }] = await db.dataSource.query(`SELECT coalesce(max(seq), 0)::int AS last FROM audit_event`);
    const power = 10 ** String(last + 7).length;
    await db.dataSource.query(`SELECT setval(pg_get_serial_sequence('audit_event', 'seq'), $1)`, [power - 7]);
    for (let i = 0; i < 12; i++) await appendAuditBatch(sql, [{ actor: 'test', action: `step.${i}`, customerId }]);
    const trail = await gql(`query($id: ID!) { auditTrail(customerId: $id, first: 20) { seq action } }`, { id: customerId });
    expect(trail.errors).toBeUndefined();
    expect(trail.data.auditTrail.map((e: any) => e.action)).toEqual(Array.from({ length: 12 }, (_, i) => `step.${i}`));
    const seqs = trail.data.auditTrail.map((e: any) => BigInt(e.seq));
    expect(seqs).toEqual([...seqs].sort((a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('a role address shared by unrelated people becomes a suggestion, which a person can accept', async () => {
    const a = await services.identity.applyPerson('stripe', { objectType: 'customer', externalId: 'cus_a', traits: { firstName: 'Ann' }, identifiers: [{ kind: 'email', value: 'support@acme.example' }] });
    const b = await services.identity.applyPerson('stripe', { objectType: 'customer', externalId: 'cus_b', traits: { firstName: 'Bob' }, identifiers: [{ kind: 'email', value: 'support@acme.example' }] });
    expect(a.customerId).not.toBe(b.customerId);
    const list = await gql(`{ suggestions { id reason recordA { externalId } recordB { externalId } } }`);
    const s = list.data.suggestions.find((x: any) => x.reason === 'guard:role_address');
    expect(s).toBeDefined();
    const accepted = await gql(`mutation($id: ID!) { acceptSuggestion(id: $id) { customerId retiredIds } }`, { id: s.id });
    expect(accepted.errors).toBeUndefined();
    expect([a.customerId, b.customerId]).toContain(accepted.data.acceptSuggestion.customerId);
    const twice = await gql(`mutation($id: ID!) { acceptSuggestion(id: $id) { customerId } }`, { id: s.id });
    expect(twice.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});

describe('touch points over GraphQL', () => {
  it('screenPop finds the caller by any phone format and returns recent touches, open conversations and the last employee', async () => {
    const person = await services.identity.applyPerson('zendesk', {
      objectType: 'user',
      externalId: 'Z9',
      traits: { firstName: 'Lin', lastName: 'Okafor' },
      identifiers: [{ kind: 'phone', value: '+44 20 7946 0777' }, { kind: 'email', value: 'lin@example.org' }],
    });
    const ds = db.dataSource;
    const [emp] = await ds.query(`INSERT INTO employee (system, external_id, display_name, department) VALUES ('bamboohr', 'E1', 'Sam Agent', 'Support') RETURNING id`);
    const [conv] = await ds.query(
      `INSERT INTO conversation (system, external_id, customer_id, source_record_id, channel, status, subject, opened_at, reply_window_ends_at, assignee_employee_id)
       VALUES ('zendesk', 'T1', $1, $2, 'email', 'open', 'Refund please', now() - interval '1 day', now() + interval '1 hour', $3) RETURNING id`,
      [person.customerId, person.sourceRecordId, emp.id],
    );
    for (let i = 0; i < 12; i++) {
      await ds.query(
        `INSERT INTO interaction (system, external_id, customer_id, source_record_id, occurred_at, channel, direction, kind, summary, sentiment, handled_by_employee_id, conversation_id)
         VALUES ('zendesk', $1, $2, $3, now() - ($4 || ' minutes')::interval, 'email', 'inbound', 'comment', $5, -0.5, $6, $7)`,
        [`C${i}`, person.customerId, person.sourceRecordId, String(60 - i), `comment ${i}`, emp.id, conv.id],
      );
    }
    const res = await gql(`{ screenPop(phone: "020 7946 0777", last: 5) {
      customer { id } recentInteractions { externalId sentiment } openConversations { subject assignee { displayName } }
      openReplyWindows { externalId } lastEmployee { displayName department } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.screenPop.customer.id).toBe(person.customerId);
    expect(res.data.screenPop.recentInteractions.map((i: any) => i.externalId)).toEqual(['C11', 'C10', 'C9', 'C8', 'C7']);
    expect(res.data.screenPop.openConversations).toEqual([{ subject: 'Refund please', assignee: { displayName: 'Sam Agent' } }]);
    expect(res.data.screenPop.openReplyWindows).toEqual([{ externalId: 'T1' }]);
    expect(res.data.screenPop.lastEmployee).toEqual({ displayName: 'Sam Agent', department: 'Support' });

    const unknown = await gql(`{ screenPop(phone: "+44 20 7946 0999") { customer { id } } }`);
    expect(unknown).toEqual({ data: { screenPop: null } });
    const bad = await gql(`{ screenPop(phone: "call me") { customer { id } } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'phone' });

    const tp = await gql(`query($id: ID!) { customer(id: $id) { touchPoints { employee { displayName } channels interactions } conversations { externalId } } }`, { id: person.customerId });
    expect(tp.data.customer.touchPoints).toEqual([{ employee: { displayName: 'Sam Agent' }, channels: ['email'], interactions: 12 }]);
    const found = await gql(`{ searchCustomers(text: "okafor") { id } }`);
    expect(found.data.searchCustomers.map((c: any) => c.id)).toContain(person.customerId);
  });

  it('screenPops asked at the same moment share one statement and each caller gets their own screen', async () => {
    const people: { customerId: string | null; sourceRecordId: string | null }[] = [];
    for (let k = 0; k < 3; k++) {
      const p = await services.identity.applyPerson('zendesk', {
        objectType: 'user',
        externalId: `ZB${k}`,
        traits: { firstName: `Caller${k}` },
        identifiers: [{ kind: 'phone', value: `+44 20 7946 05${k}0` }],
      });
      for (let i = 0; i <= k * 2; i++) {
        await db.dataSource.query(
          `INSERT INTO interaction (system, external_id, customer_id, source_record_id, occurred_at, channel, direction, kind, summary)
           VALUES ('zendesk', $1, $2, $3, now() - ($4 || ' minutes')::interval, 'sms', 'inbound', 'message', $1)`,
          [`B${k}-${i}`, p.customerId, p.sourceRecordId, String(30 - i)],
        );
      }
      people.push(p);
    }
    // Count the screenPop statements sent to Postgres while the calls run (the calls go through).
    const pool = (db.dataSource.driver as any).master;
    const original = pool.query;
    const sent: string[] = [];
    pool.query = function (this: unknown, config: any, ...rest: unknown[]) {
      if (typeof config === 'object' && /unnest\(\$1::text\[\], \$2::int\[\]\)/.test(config.text)) sent.push(config.text);
      return original.call(this, config, ...rest);
    };
    let pops;
    try {
      pops = await Promise.all([
        services.customers.screenPop('+442079460520', 10),
        services.customers.screenPop('+442079460999', 10),
        services.customers.screenPop('+442079460500', 10),
        services.customers.screenPop('+442079460510', 2),
        services.customers.screenPop('+442079460520', 1),
      ]);
    } finally {
      pool.query = original;
    }
    expect(sent).toHaveLength(1);
    expect(pops.map((p) => p?.customer.id ?? null)).toEqual([people[2]!.customerId, null, people[0]!.customerId, people[1]!.customerId, people[2]!.customerId]);
    expect(pops.map((p) => p?.recent.map((i) => i.externalId) ?? null)).toEqual([
      ['B2-4', 'B2-3', 'B2-2', 'B2-1', 'B2-0'],
      null,
      ['B0-0'],
      ['B1-2', 'B1-1'],
      ['B2-4'],
    ]);

    // Over HTTP, concurrent requests each get their own caller.
    const answers = await Promise.all(
      [0, 1, 2, 1, 0].map((k) => gql(`query($p: String!) { screenPop(phone: $p, last: 1) { customer { id } recentInteractions { externalId } } }`, { p: `020 7946 05${k}0` })),
    );
    expect(answers.map((a) => a.errors)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(answers.map((a) => a.data.screenPop.customer.id)).toEqual([0, 1, 2, 1, 0].map((k) => people[k]!.customerId));
    expect(answers.map((a) => a.data.screenPop.recentInteractions[0].externalId)).toEqual(['B0-0', 'B1-2', 'B2-4', 'B1-2', 'B0-0']);
  });
});
