import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { CanonicalIdentifier, PersonTraits } from '../../src/connector-kit/canonical.js';
import { featuresOf, IdentityResolver, lockKey, sqlLockKey } from '../../src/identity/identity-resolver.service.js';
import { scorePair } from '../../src/identity/matching/index.js';
import { createInteraction } from '../support/factories.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { listenToHubEvents } from '../support/events.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';

let db: TestDatabase;
let resolver: IdentityResolver;

beforeEach(async () => {
  db = await createTestDatabase();
  resolver = new IdentityResolver(db.dataSource);
});
afterEach(async () => {
  await db.drop();
});

const email = (value: string): CanonicalIdentifier => ({ kind: 'email', value });
const phone = (value: string): CanonicalIdentifier => ({ kind: 'phone', value });
const hrId = (value: string): CanonicalIdentifier => ({
  kind: 'external',
  namespace: 'bamboohr:employee',
  value,
});

function apply(
  system: string,
  externalId: string,
  identifiers: CanonicalIdentifier[],
  traits: PersonTraits = {},
  updatedAt?: string,
) {
  return resolver.applyPerson(system, {
    objectType: 'contact',
    externalId,
    identifiers,
    traits,
    ...(updatedAt ? { updatedAt } : {}),
  });
}

async function customerOf(system: string, externalId: string): Promise<string> {
  const rows: { customerId: string }[] = await db.dataSource.query(
    `SELECT customer_id AS "customerId" FROM source_record WHERE system = $1 AND external_id = $2`,
    [system, externalId],
  );
  return rows[0]!.customerId;
}

async function suggestions(): Promise<{ reason: string; a: string; b: string }[]> {
  return db.dataSource.query(
    `SELECT reason, record_a AS a, record_b AS b FROM match_suggestion WHERE status = 'pending' ORDER BY id`,
  );
}

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const rows: { n: string }[] = await db.dataSource.query(
    `SELECT count(*)::text AS n FROM ${table} WHERE ${where}`,
    params,
  );
  return Number(rows[0]!.n);
}

describe('guards against over-merging', () => {
  it('does not merge unrelated people who share a support@ address: a suggestion instead', async () => {
    const a = await apply('zendesk', 'u1', [email('support@acme.com')], {
      firstName: 'Alice',
      lastName: 'Moreau',
    });
    const b = await apply('hubspot', 'c1', [email('Support@Acme.com')], {
      firstName: 'Dmitri',
      lastName: 'Okafor',
    });
    expect(b.customerId).not.toBe(a.customerId);
    const s = await suggestions();
    expect(s).toHaveLength(1);
    expect(s[0]!.reason).toBe('guard:role_address');
    expect([s[0]!.a, s[0]!.b].sort()).toEqual([a.sourceRecordId, b.sourceRecordId].sort());
  });

  it('does not merge 40 people on one household phone, and the trip-wire quarantines the number', async () => {
    const names = [
      'Amelia',
      'Boris',
      'Chloe',
      'Dario',
      'Eunice',
      'Farid',
      'Greta',
      'Hamish',
      'Ingrid',
      'Jasper',
      'Keiko',
      'Lorenzo',
      'Maeve',
      'Nikolai',
      'Odette',
      'Pavel',
      'Quentin',
      'Rosalind',
      'Soren',
      'Tamsin',
      'Ulrich',
      'Vesna',
      'Wilbur',
      'Xiomara',
      'Yusuf',
      'Zelda',
      'Anders',
      'Bettina',
      'Cosmo',
      'Delphine',
      'Emrys',
      'Flavia',
      'Gideon',
      'Hortense',
      'Ignatius',
      'Juno',
      'Kasimir',
      'Leocadia',
      'Magnus',
      'Noor',
    ];
    expect(new Set(names).size).toBe(40);
    const customers = new Set<string>();
    for (const [i, firstName] of names.entries()) {
      const r = await apply('twilio', `caller-${i}`, [phone('+44 20 7946 0018')], {
        firstName,
        lastName: 'Whitfield',
      });
      customers.add(r.customerId!);
    }
    expect(customers.size).toBe(40);
    expect(await count('identity_link')).toBe(0);
    const [idf] = await db.dataSource.query(
      `SELECT status FROM identifier WHERE kind = 'phone' AND value = '+442079460018'`,
    );
    expect(idf.status).toBe('quarantined');
  });

  it('does not join two different HR ids through a record that shares an email with each: a suggestion instead', async () => {
    const e1 = await apply('bamboohr', 'e1', [hrId('1001'), email('sam.lee@corp.example')], {
      firstName: 'Sam',
      lastName: 'Lee',
    });
    const e2 = await apply('bamboohr', 'e2', [hrId('2002'), email('s.lee@corp.example')], {
      firstName: 'Sam',
      lastName: 'Lee',
    });
    expect(e2.customerId).not.toBe(e1.customerId);
    const crm = await apply('hubspot', 'c9', [email('sam.lee@corp.example'), email('s.lee@corp.example')], {
      firstName: 'Sam',
      lastName: 'Lee',
    });
    expect(await customerOf('bamboohr', 'e1')).not.toBe(await customerOf('bamboohr', 'e2'));
    expect([await customerOf('bamboohr', 'e1'), await customerOf('bamboohr', 'e2')]).toContain(
      crm.customerId,
    );
    const reasons = (await suggestions()).map((s) => s.reason);
    expect(reasons.some((r) => r.endsWith('guard:cardinality'))).toBe(true);
  });
});

describe('merge, unmerge and retired ids', () => {
  it('unmerge gives B its original id back, A keeps its id, and re-applying B does not re-merge them', async () => {
    const a = await apply('hubspot', 'a', [email('kim@example.org')], { firstName: 'Kim' });
    // B is a customer of its own first, then states A's email: the two customers merge into A's (the oldest).
    const alone = await apply('stripe', 'b', [phone('+447911123001')], { firstName: 'Kim' });
    expect(alone.customerId).not.toBe(a.customerId);
    const b = await apply('stripe', 'b', [email('kim@example.org'), phone('+447911123001')], { firstName: 'Kim' });
    const [born] = await db.dataSource.query(
      `SELECT origin_customer_id AS o FROM source_record WHERE id = $1`,
      [b.sourceRecordId],
    );
    expect(born.o).toBe(alone.customerId);
    expect(b.customerId).toBe(a.customerId);
    expect(b.retiredIds).toEqual([alone.customerId]);

    const { customerIds } = await resolver.unmerge(a.customerId!, [b.sourceRecordId!], 'person:ops');
    expect(customerIds).toEqual([a.customerId, alone.customerId]);
    expect(await customerOf('hubspot', 'a')).toBe(a.customerId);
    expect(await customerOf('stripe', 'b')).toBe(alone.customerId);

    const again = await apply('stripe', 'b', [email('kim@example.org'), phone('+447911123001')], { firstName: 'Kim' });
    expect(again.customerId).toBe(alone.customerId);
    expect(await customerOf('hubspot', 'a')).toBe(a.customerId);
  });

  it('a new record that matches joins the customer directly (no throwaway id); unmerged, it gets an id that stays', async () => {
    const a = await apply('hubspot', 'a', [email('kim@example.org')], { firstName: 'Kim' });
    const customersBefore = await count('customer');
    const b = await apply('stripe', 'b', [email('kim@example.org')], { firstName: 'Kim' });
    expect(b).toMatchObject({ customerId: a.customerId, createdCustomer: false, retiredIds: [] });
    expect(await count('customer')).toBe(customersBefore);
    expect(await count('customer_redirect')).toBe(0);
    expect(await count('identity_link', 'from_record_id = $1 AND to_record_id = $2 AND rule = $3', [b.sourceRecordId, a.sourceRecordId, 'exact_email'])).toBe(1);

    const { customerIds } = await resolver.unmerge(a.customerId!, [b.sourceRecordId!], 'person:ops');
    expect(customerIds[0]).toBe(a.customerId);
    const own = customerIds[1]!;
    expect(own).not.toBe(a.customerId);
    expect(await customerOf('stripe', 'b')).toBe(own);
    // Its first own customer is now its origin: merged and unmerged again, it gets the same id back.
    const again = await apply('stripe', 'b', [email('kim@example.org')], { firstName: 'Kim' });
    expect(again.customerId).toBe(own);
    await resolver.manualMerge(a.customerId!, own, 'person:ops');
    expect(await customerOf('stripe', 'b')).toBe(a.customerId);
    const split = await resolver.unmerge(a.customerId!, [b.sourceRecordId!], 'person:ops');
    expect(split.customerIds).toEqual([a.customerId, own]);
  });

  it('a record that links three customers merges them into the oldest: audited with the record, told to subscribers, links and moves written', async () => {
    const a = await apply('hubspot', 'a', [email('ana@example.org')], { firstName: 'Ana' });
    const b = await apply('stripe', 'b', [phone('+447911123456')], { firstName: 'Ana' });
    const c = await apply('zendesk', 'c', [email('ana.r@example.net')], { firstName: 'Ana' });
    await createInteraction(db.dataSource, { customerId: c.customerId!, system: 'zendesk', externalId: 'ticket-1', occurredAt: new Date() });
    const listener = await listenToHubEvents<{ type: string; customerId: string; retiredIds: string[] }>(db.url);
    const { events } = listener;
    try {
      const d = await apply('twilio', 'd', [email('ana@example.org'), phone('+447911123456'), email('ana.r@example.net')], { firstName: 'Ana' });
      const retired = [b.customerId, c.customerId].sort();
      expect(d.customerId).toBe(a.customerId);
      expect([...d.retiredIds].sort()).toEqual(retired);
      for (const [system, id] of [['hubspot', 'a'], ['stripe', 'b'], ['zendesk', 'c'], ['twilio', 'd']] as const)
        expect(await customerOf(system, id)).toBe(a.customerId);
      expect(await count('interaction', 'customer_id = $1', [a.customerId])).toBe(1);
      expect(await count('customer', "status = 'merged' AND id = ANY($1::uuid[])", [retired])).toBe(2);
      expect(await count('customer_redirect', 'customer_id = $1', [a.customerId])).toBe(2);
      expect(await count('identity_link', 'from_record_id = $1 AND retracted_at IS NULL', [d.sourceRecordId])).toBe(3);
      const audits: { customerId: string; details: { retiredIds: string[]; recordId: string } }[] = await db.dataSource.query(
        `SELECT customer_id AS "customerId", details FROM audit_event WHERE action = 'customer.merged' ORDER BY seq`,
      );
      expect(audits.map((x) => x.customerId)).toEqual([a.customerId, a.customerId]);
      expect(audits.flatMap((x) => x.details.retiredIds).sort()).toEqual(retired);
      expect(audits.every((x) => x.details.recordId === d.sourceRecordId)).toBe(true);
      expect(await verifyAuditChain(db.dataSource)).toMatchObject({ ok: true });
      for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(events.map((e) => [e.type, e.customerId])).toEqual([['customer.merged', a.customerId], ['customer.merged', a.customerId]]);
      expect(events.flatMap((e) => e.retiredIds).sort()).toEqual(retired);
    } finally {
      await listener.end();
    }
  });

  it('a retired id still resolves to the survivor through customer_redirect', async () => {
    const a = await apply('hubspot', 'a', [email('lee@example.org')]);
    const b = await apply('stripe', 'b', [phone('+447911123123')]);
    expect(b.customerId).not.toBe(a.customerId);
    const merged = await resolver.manualMerge(a.customerId!, b.customerId!, 'person:ops');
    expect(merged).toEqual({ survivor: a.customerId, retired: [b.customerId] });
    expect(
      await count('customer_redirect', 'retired_id = $1 AND customer_id = $2', [b.customerId, a.customerId]),
    ).toBe(1);
    const resolved = await resolver.resolveId(
      db.dataSource.manager.query.bind(db.dataSource.manager) as never,
      b.customerId!,
    );
    expect(resolved).toBe(a.customerId);
  });
});

describe('ids', () => {
  it('gives new records and customers time-ordered ids: version 7 UUIDs, a later one sorting after an earlier one', async () => {
    const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = await apply('hubspot', 'c1', [email('ana@example.com')], { firstName: 'Ana' });
    await new Promise((r) => setTimeout(r, 5));
    const b = await apply('zendesk', 'u1', [email('bo@example.com')], { firstName: 'Bo' });
    for (const r of [a, b]) {
      expect(r.sourceRecordId).toMatch(V7);
      expect(r.customerId).toMatch(V7);
    }
    expect(a.sourceRecordId! < b.sourceRecordId!).toBe(true);
    expect(a.customerId! < b.customerId!).toBe(true);
    // The 48-bit prefix is the time the row was made, in milliseconds.
    const made = parseInt(b.sourceRecordId!.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(made - Date.now())).toBeLessThan(60_000);
  });
});

describe('explain', () => {
  it('returns the path A–B (email) and B–C (phone) with rule and matched values', async () => {
    const a = await apply('hubspot', 'a', [email('noor@example.org')]);
    const b = await apply('stripe', 'b', [email('noor@example.org'), phone('+447911123555')], {
      firstName: 'Noor',
    });
    const c = await apply('twilio', 'c', [phone('07911 123555')], { firstName: 'Noor' });
    expect(new Set([a.customerId, b.customerId, c.customerId]).size).toBe(1);
    const path = await resolver.explain(a.sourceRecordId!, c.sourceRecordId!);
    expect(path).toHaveLength(2);
    expect(path!.map((l) => l.rule)).toEqual(['exact_email', 'exact_phone']);
    expect(path!.map((l) => l.evidence.matched)).toEqual([
      ['email::noor@example.org'],
      ['phone::+447911123555'],
    ]);
    // The path is connected from A to C.
    expect([path![0]!.fromRecordId, path![0]!.toRecordId]).toContain(a.sourceRecordId);
    expect([path![1]!.fromRecordId, path![1]!.toRecordId]).toContain(c.sourceRecordId);
  });
});

describe('erasure', () => {
  it('leaves no row of the person and blocks re-ingestion, but not of other people sharing a role address', async () => {
    const a = await apply('hubspot', 'a', [email('erin@example.org'), email('info@shop.example')], {
      firstName: 'Erin',
    });
    // B is a customer of its own before it states Erin's email, so erasure can start from its retired id.
    await apply('stripe', 'b', [phone('+447911123777')], { firstName: 'Erin' });
    const b = await apply('stripe', 'b', [email('erin@example.org'), phone('+447911123777')], {
      firstName: 'Erin',
    });
    const other = await apply('zendesk', 'z', [email('info@shop.example')], { firstName: 'Walter' });
    expect(b.customerId).toBe(a.customerId);
    await createInteraction(db.dataSource, {
      customerId: a.customerId!,
      system: 'twilio',
      externalId: 'call-1',
      occurredAt: new Date(),
    });
    const retired = b.retiredIds[0]!;

    const res = await resolver.erase(b.retiredIds[0]!, 'person:dpo');
    expect(res.customerId).toBe(a.customerId);
    expect(res.notify.map((n) => `${n.system}:${n.externalId}`).sort()).toEqual(['hubspot:a', 'stripe:b']);
    const recs = [a.sourceRecordId, b.sourceRecordId];
    expect(await count('source_record', 'id = ANY($1::uuid[])', [recs])).toBe(0);
    expect(await count('record_identifier', 'source_record_id = ANY($1::uuid[])', [recs])).toBe(0);
    expect(await count('identity_link')).toBe(0);
    expect(await count('interaction')).toBe(0);
    expect(await count('customer', 'id = ANY($1::uuid[])', [[a.customerId, retired]])).toBe(0);
    expect(await count('customer_redirect')).toBe(0);
    expect(await count('identifier', `value IN ('erin@example.org', '+447911123777')`)).toBe(0);
    // The shared role address stays: another person holds it.
    expect(await count('identifier', `value = 'info@shop.example'`)).toBe(1);
    expect(await customerOf('zendesk', 'z')).toBe(other.customerId);

    expect((await apply('hubspot', 'a', [email('erin@example.org')], { firstName: 'Erin' })).skipped).toBe(
      'suppressed',
    );
    expect((await apply('stripe', 'b', [])).skipped).toBe('suppressed');
    expect((await apply('salesforce', 'lead-7', [email('ERIN@example.org')])).skipped).toBe('suppressed');
    expect(await count('source_record', `system <> 'zendesk'`)).toBe(0);
    // Erasing Erin does not erase everyone who later writes from the shared info@ address.
    const later = await apply('zendesk', 'z2', [email('info@shop.example')], { firstName: 'Yara' });
    expect(later.skipped).toBeUndefined();
  });
});

describe('golden record and updates', () => {
  it('applies survivorship: source priority for names, most recent for the rest, never overwriting with empty', async () => {
    await apply(
      'hubspot',
      'h',
      [email('rob@example.org')],
      { firstName: 'Bob', city: 'Leeds' },
      '2026-01-01T00:00:00Z',
    );
    const r = await apply(
      'salesforce',
      's',
      [email('rob@example.org')],
      { firstName: 'Robert', city: 'York' },
      '2025-01-01T00:00:00Z',
    );
    await apply(
      'zendesk',
      'z',
      [email('rob@example.org')],
      { firstName: 'Robbie', city: '' },
      '2026-06-01T00:00:00Z',
    );
    const [c] = await db.dataSource.query(`SELECT traits FROM customer WHERE id = $1`, [r.customerId]);
    expect(c.traits.firstName).toMatchObject({
      value: 'Robert',
      source: 'salesforce',
      rule: 'source_priority',
    });
    expect(c.traits.city).toMatchObject({ value: 'Leeds', source: 'hubspot', rule: 'most_recent' });
  });

  it('an update older than the stored version is skipped as stale and does not overwrite it', async () => {
    const r = await apply(
      'hubspot',
      'h',
      [email('ana@example.org')],
      { city: 'Porto' },
      '2026-03-01T00:00:00Z',
    );
    const old = await apply(
      'hubspot',
      'h',
      [email('ana@example.org')],
      { city: 'Lisbon' },
      '2026-02-01T00:00:00Z',
    );
    expect(old.skipped).toBe('stale');
    const [rec] = await db.dataSource.query(`SELECT traits FROM source_record WHERE id = $1`, [
      r.sourceRecordId,
    ]);
    expect(rec.traits.city).toBe('Porto');
    const [c] = await db.dataSource.query(`SELECT traits FROM customer WHERE id = $1`, [r.customerId]);
    expect(c.traits.city.value).toBe('Porto');
  });
});

describe('locks', () => {
  it('customer lock keys computed in SQL (joins) are the ones lockKey computes (merges, unmerge, erasure)', async () => {
    const rows: { id: string; k: string }[] = await db.dataSource.query(
      `SELECT x::text AS id, ${sqlLockKey(`'customer:' || x::text`)}::text AS k FROM (SELECT gen_random_uuid() AS x FROM generate_series(1, 200)) s`,
    );
    expect(rows).toHaveLength(200);
    expect(rows.some((r) => r.k.startsWith('-'))).toBe(true);
    for (const r of rows) expect(r.k).toBe(lockKey(`customer:${r.id}`));
  });
});

/** The customer's stored golden record (traits, record count) equals a full recompute from its records. */
async function expectGoldenAsRecomputed(customerId: string, records: number): Promise<void> {
  const read = async () =>
    (await db.dataSource.query(`SELECT traits, record_count AS "recordCount" FROM customer WHERE id = $1`, [customerId])) as {
      traits: unknown;
      recordCount: number;
    }[];
  const written = await read();
  expect(written[0]!.recordCount).toBe(records);
  await db.dataSource.transaction(async (m) => resolver.refreshGolden((t, p) => m.query(t, p), [customerId]));
  expect(await read()).toEqual(written);
}

describe('golden record after an attach', () => {
  it('is the one recomputed from every record of the customer', async () => {
    await apply('hubspot', 'h1', [email('ann@example.com'), phone('+447911123456')], { firstName: 'Ann', lastName: 'Lee', city: 'Leeds' }, '2026-01-01T00:00:00Z');
    await apply('zendesk', 'z1', [email('ann@example.com')], { lastName: 'Lee', city: 'York', company: 'Acme' }, '2026-01-02T00:00:00Z');
    // Joins the customer through the phone (attach), with a role address that is no evidence.
    const r = await apply('stripe', 's1', [phone('+447911123456'), email('info@example.com'), email('ann.lee@mail.example.net')], { firstName: 'Annie', postcode: 'LS1 1AA' }, '2026-01-03T00:00:00Z');
    expect(r.createdCustomer).toBe(false);
    await expectGoldenAsRecomputed(r.customerId!, 3);
  });
});

describe('golden record after a merge', () => {
  it('is the one recomputed from every record of the merged customer', async () => {
    await apply('hubspot', 'h1', [email('bo@example.com')], { firstName: 'Bo', lastName: 'Shaw', city: 'Leeds' }, '2026-01-01T00:00:00Z');
    await apply('zendesk', 'z1', [phone('+447911123457')], { firstName: 'Bo', company: 'Acme' }, '2026-01-02T00:00:00Z');
    // Joins h1's customer by email (attach), then z1's by phone (merge).
    const r = await apply('stripe', 's1', [email('bo@example.com'), phone('+447911123457')], { lastName: 'Shaw-Lee', postcode: 'LS1 1AA' }, '2026-01-03T00:00:00Z');
    expect(r.retiredIds).toHaveLength(1);
    await expectGoldenAsRecomputed(r.customerId!, 3);
  });
});

describe('suggestions per record', () => {
  // Namesakes in one town: names and city agree, nothing personal does, so none links and each
  // close enough becomes a suggestion for the newcomer.
  const townsfolk = ['Alice', 'Alicia', 'Alison', 'Alys', 'Alice', 'Ali', 'Alisha', 'Alicen'];
  const newcomer = { firstName: 'Alice', lastName: 'Smith', city: 'Leeds' };

  async function seed(): Promise<void> {
    const setup = new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 100 });
    for (const [k, firstName] of townsfolk.entries()) {
      await setup.applyPerson('crm', { objectType: 'contact', externalId: `t${k}`, identifiers: [email(`t${k}@example.com`)], traits: { firstName, lastName: 'Smith', city: 'Leeds' } });
    }
  }

  /** Suggestions naming the newcomer's record, with the other record's external id. */
  async function newcomerSuggestions(recordId: string): Promise<string[]> {
    const rows: { externalId: string }[] = await db.dataSource.query(
      `SELECT sr.external_id AS "externalId" FROM match_suggestion s
         JOIN source_record sr ON sr.id = CASE WHEN s.record_a = $1 THEN s.record_b ELSE s.record_a END
        WHERE $1 IN (s.record_a, s.record_b) ORDER BY sr.external_id`,
      [recordId],
    );
    return rows.map((r) => r.externalId);
  }

  it('keeps at most maxSuggestionsPerRecord new suggestions, the best-scored', async () => {
    await seed();
    const me = featuresOf(newcomer, [{ kind: 'email', value: 'new@example.com' }]);
    const scored = townsfolk
      .map((firstName, k) => ({ id: `t${k}`, score: scorePair(me, featuresOf({ firstName, lastName: 'Smith', city: 'Leeds' }, [{ kind: 'email', value: `t${k}@example.com` }])).score }))
      .filter((x) => x.score >= resolver.config.suggestWeight)
      .sort((a, b) => b.score - a.score);
    // The case needs more suggestible candidates than the cap, with distinct scores at the cut.
    expect(scored.length).toBeGreaterThan(3);
    expect(scored[2]!.score).toBeGreaterThan(scored[3]!.score);

    const capped = new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 3 });
    const r = await capped.applyPerson('crm', { objectType: 'contact', externalId: 'new', identifiers: [email('new@example.com')], traits: newcomer });
    expect(r.suggestions).toBe(3);
    expect(r.createdCustomer).toBe(true);
    expect(await newcomerSuggestions(r.sourceRecordId!)).toEqual(scored.slice(0, 3).map((x) => x.id).sort());
  });

  it('without a cap that bites, every candidate above the suggest weight is suggested; with 0, none', async () => {
    await seed();
    const all = await new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 100 }).applyPerson('crm', { objectType: 'contact', externalId: 'new', identifiers: [email('new@example.com')], traits: newcomer });
    expect(all.suggestions).toBeGreaterThan(3);
    expect(await newcomerSuggestions(all.sourceRecordId!)).toHaveLength(all.suggestions);
    const none = await new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 0 }).applyPerson('crm', { objectType: 'contact', externalId: 'new2', identifiers: [email('new2@example.com')], traits: newcomer });
    expect(none.suggestions).toBe(0);
    expect(await newcomerSuggestions(none.sourceRecordId!)).toEqual([]);
  });

  it('gives a full budget to the oldest of candidates with equal scores, whatever their random ids', async () => {
    // Six namesakes whose features differ only in equally unlike email addresses: they score the
    // same against the newcomer, and a cap of 2 leaves out four of them.
    const twins = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const setup = new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 100 });
    for (const k of twins)
      await setup.applyPerson('crm', { objectType: 'contact', externalId: k, identifiers: [email(`${k}@example.com`)], traits: newcomer });
    const me = featuresOf(newcomer, [{ kind: 'email', value: 'newcomer@example.com' }]);
    const scores = twins.map((k) => scorePair(me, featuresOf(newcomer, [{ kind: 'email', value: `${k}@example.com` }])).score);
    expect(new Set(scores).size).toBe(1);
    expect(scores[0]).toBeGreaterThanOrEqual(resolver.config.suggestWeight);

    const capped = new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 2 });
    const r = await capped.applyPerson('crm', { objectType: 'contact', externalId: 'new', identifiers: [email('newcomer@example.com')], traits: newcomer });
    expect(r.suggestions).toBe(2);
    expect(await newcomerSuggestions(r.sourceRecordId!)).toEqual(['k1', 'k2']);
  });

  it('refuses a cap that is not a non-negative integer', () => {
    expect(() => new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: -1 })).toThrow(/maxSuggestionsPerRecord must be a non-negative integer, got -1/);
    expect(() => new IdentityResolver(db.dataSource, { maxSuggestionsPerRecord: 2.5 })).toThrow(/non-negative integer/);
  });
});
