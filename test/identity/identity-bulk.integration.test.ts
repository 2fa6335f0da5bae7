import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { Command } from 'commander';
import pg from 'pg';
import csv from '../../connectors/csv/index.js';
import { loadConfig } from '../../src/config/config.js';
import { registerIngestCommands } from '../../src/ingest/ingest.commands.js';
import type {
  CanonicalIdentifier,
  CanonicalPerson,
  PersonTraits,
} from '../../src/connector-kit/canonical.js';
import { bulkResolve, type BulkRecord } from '../../src/identity/bulk/bulk-resolve.js';
import { generateRecords } from '../../src/identity/bulk/generate-records.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestApi } from '../support/api.js';
import { identityContents } from '../support/identity-contents.js';

const dbs: TestDatabase[] = [];
async function freshDb(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  dbs.push(db);
  return db;
}
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

/** The partition: for each customer, the sorted keys of its source records; sorted. */
async function partition(db: TestDatabase): Promise<string[]> {
  const rows: { members: string }[] = await db.dataSource.query(
    `SELECT string_agg(system || ':' || external_id, ' ' ORDER BY system, external_id) AS members
       FROM source_record GROUP BY customer_id`,
  );
  return rows.map((r) => r.members).sort();
}

async function oneByOne(db: TestDatabase, records: readonly BulkRecord[]): Promise<void> {
  const resolver = new IdentityResolver(db.dataSource);
  for (const r of records) await resolver.applyPerson(r.system, r.person);
}

describe('bulk resolution gives the same partition as record-by-record', () => {
  it('on the bench generator data', async () => {
    const records = generateRecords(1500, 11);
    const [a, b] = [await freshDb(), await freshDb()];
    await oneByOne(a, records);
    const report = await bulkResolve(b.dataSource, records);
    expect(report.inserted).toBe(1500);
    const [pa, pb] = [await partition(a), await partition(b)];
    expect(pb.length).toBeGreaterThan(300);
    expect(pb).toEqual(pa);
  }, 300_000);
});

describe('an initial load builds the indexes after the rows', () => {
  /** Every index and constraint of the tables a bulk import fills, as Postgres defines them. */
  async function indexes(db: TestDatabase): Promise<string[]> {
    const rows: { def: string }[] = await db.dataSource.query(
      `SELECT x.indexrelid::regclass::text || ' ' || pg_get_indexdef(x.indexrelid) || ' ' ||
              coalesce((SELECT c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
                         WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid), '') AS def
         FROM pg_index x
        WHERE x.indrelid = ANY('{customer,identifier,source_record,record_identifier,identity_link,match_suggestion,record_block_key}'::regclass[])
        ORDER BY 1`,
    );
    return rows.map((r) => r.def);
  }
  it('leaves the schema as the migrations made it and writes what index maintenance row by row writes', async () => {
    const records = generateRecords(1200, 3);
    const [a, b] = [await freshDb(), await freshDb()];
    const before = await indexes(a);
    expect(before.length).toBeGreaterThan(10);
    expect(before.join('\n')).toContain('uq_identifier_key UNIQUE (value, kind, namespace)');
    const deferred = await bulkResolve(a.dataSource, records);
    expect(deferred.indexesRebuilt).toBe(before.length);
    const kept = await bulkResolve(b.dataSource, records, { deferIndexesFrom: Infinity });
    expect(kept.indexesRebuilt).toBe(0);
    expect([kept.inserted, kept.links, kept.suggestions]).toEqual([
      1200,
      deferred.links,
      deferred.suggestions,
    ]);
    expect(await indexes(a)).toEqual(before);
    expect(await indexes(b)).toEqual(before);
    expect(await partition(a)).toEqual(await partition(b));
    // The unique indexes are in use again: a second import of the same records changes nothing.
    const again = await bulkResolve(a.dataSource, records);
    expect(again.inserted).toBe(0);
    const [{ n }] = (await a.dataSource.query(`SELECT count(*)::int AS n FROM source_record`)) as [
      { n: number },
    ];
    expect(n).toBe(1200);
  }, 300_000);

  it('writes row for row what index maintenance writes, values the trip-wire quarantined part way through included', async () => {
    // 40 people on one household phone: the trip-wire quarantines it part way through, and the
    // records after that get their features and blocking keys worked out again without it.
    const records = [
      ...generateRecords(1100, 5),
      ...household(() => ({ lastName: 'Household', city: 'Leeds' })),
    ];
    const [a, b] = [await freshDb(), await freshDb()];
    const deferred = await bulkResolve(a.dataSource, records);
    const kept = await bulkResolve(b.dataSource, records, { deferIndexesFrom: Infinity });
    expect(deferred.indexesRebuilt).toBeGreaterThan(10);
    expect(kept.indexesRebuilt).toBe(0);
    expect(deferred.quarantined).toBeGreaterThan(0);
    const [ca, cb] = [await identityContents(a), await identityContents(b)];
    expect(ca.identifiers.some((r) => r.startsWith('phone||+447911123400|quarantined|'))).toBe(true);
    expect(ca.blockKeys.length).toBeGreaterThan(1000);
    expect(ca).toEqual(cb);
    expect(await partition(a)).toEqual(await partition(b));
  }, 300_000);

  it('keeps a row another writer commits while the import waits to lock the empty tables', async () => {
    // The import finds the tables empty, then waits for their locks behind a writer that has not
    // committed yet. That writer's row is there once the import gets the locks: the import sees it,
    // keeps the indexes (no emptying of the tables for the WAL-free initial load) and loses nothing.
    const db = await freshDb();
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      const [probe] = (
        await writer.query<{ id: string }>(
          `INSERT INTO customer (traits, record_count) VALUES ('{"probe": true}', 0) RETURNING id`,
        )
      ).rows;
      const importing = bulkResolve(db.dataSource, generateRecords(1100, 7));
      // The import is waiting for a lock on the tables.
      for (let i = 0; i < 200; i++) {
        const waiting = (await db.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%'`,
        )) as [{ n: number }];
        if (waiting[0].n > 0) break;
        if (i === 199) throw new Error('the import never waited for the tables');
        await new Promise((r) => setTimeout(r, 50));
      }
      await writer.query('COMMIT');
      const report = await importing;
      expect(report.inserted).toBe(1100);
      expect(report.indexesRebuilt).toBe(0);
      const kept = (await db.dataSource.query(`SELECT traits FROM customer WHERE id = $1`, [probe!.id])) as {
        traits: unknown;
      }[];
      expect(kept).toEqual([{ traits: { probe: true } }]);
    } finally {
      await writer.end();
    }
  }, 300_000);
});

// ---- helpers for hand-written records ----
const email = (value: string): CanonicalIdentifier => ({ kind: 'email', value });
const phone = (value: string): CanonicalIdentifier => ({ kind: 'phone', value });
const hrId = (value: string): CanonicalIdentifier => ({
  kind: 'external',
  namespace: 'bamboohr:employee',
  value,
});
const rec = (
  system: string,
  externalId: string,
  identifiers: CanonicalIdentifier[],
  traits: PersonTraits = {},
): BulkRecord => ({
  system,
  person: { objectType: 'contact', externalId, identifiers, traits } satisfies CanonicalPerson,
});

/** 40 people with 40 different first names on one household phone (more than the trip-wire allows). */
function household(traits: (k: number) => PersonTraits): BulkRecord[] {
  const NAMES = [
    'Aaron',
    'Beatrix',
    'Cedric',
    'Dolores',
    'Ezekiel',
    'Fiona',
    'Gideon',
    'Hortense',
    'Ignatius',
    'Juniper',
  ];
  const SUFFIX = ['', 'wyn', 'ley', 'bert'];
  return Array.from({ length: 40 }, (_, k) =>
    rec('crm', `h${k}`, [phone('+44 7911 123400')], {
      firstName: `${NAMES[k % 10]}${SUFFIX[Math.floor(k / 10)]}`,
      ...traits(k),
    }),
  );
}

async function customerOf(db: TestDatabase, system: string, externalId: string): Promise<string> {
  const rows: { customerId: string }[] = await db.dataSource.query(
    `SELECT customer_id AS "customerId" FROM source_record WHERE system = $1 AND external_id = $2`,
    [system, externalId],
  );
  return rows[0]!.customerId;
}
async function recordId(db: TestDatabase, system: string, externalId: string): Promise<string> {
  const rows: { id: string }[] = await db.dataSource.query(
    `SELECT id FROM source_record WHERE system = $1 AND external_id = $2`,
    [system, externalId],
  );
  return rows[0]!.id;
}

describe('candidates searched ahead of the resolve loop (CandidateLists)', () => {
  it('give row for row what the loop finds itself, and stop where the trip-wire changes features', async () => {
    // Role addresses are blocked from the start: the loop works the features and keys of the
    // records holding one out again, the same as the lists had them, and the lists go on. The
    // household phone's quarantine changes the features of its holders part way through: the
    // lists stop there, and the loop searches the records after it itself.
    const records = [
      rec('crm', 'role1', [email('support@acme.example'), phone('+44 7700 900111')], {
        firstName: 'Ann',
        lastName: 'Lee',
        dob: '1980-01-02',
      }),
      rec('helpdesk', 'role2', [email('support@acme.example'), phone('+44 7700 900112')], {
        firstName: 'Bob',
        lastName: 'Roe',
        dob: '1975-06-07',
      }),
      ...generateRecords(1200, 5),
      ...household((k) => ({
        lastName: 'Household',
        city: 'Leeds',
        dob: `1990-01-${String(1 + (k % 28)).padStart(2, '0')}`,
      })),
      ...generateRecords(300, 9).map((r) => ({
        system: r.system,
        person: { ...r.person, externalId: `late-${r.person.externalId}` },
      })),
    ];
    const [a, b] = [await freshDb(), await freshDb()];
    const listed = await bulkResolve(a.dataSource, records, { candidateSearch: 'in-process' });
    const loop = await bulkResolve(b.dataSource, records, { candidateSearch: 'loop' });
    expect(listed.indexesRebuilt).toBeGreaterThan(10);
    expect(listed.quarantined).toBeGreaterThan(0);
    expect(loop.candidatesListed).toBe(0);
    // Past the role addresses, not past the quarantine.
    expect(listed.candidatesListed).toBeGreaterThan(1100);
    expect(listed.candidatesListed).toBeLessThan(1202 + 40);
    const [ca, cb] = [await identityContents(a), await identityContents(b)];
    expect(ca.suggestions.length).toBeGreaterThan(300);
    expect(ca.suggestions.filter((s) => s.includes('|guard:role_address')).length).toBeGreaterThan(0);
    expect(ca).toEqual(cb);
  }, 300_000);
});

describe('bulk resolution on fake_1000 (CSV mapping)', () => {
  it('gives the same partition as applying the rows one by one', async () => {
    const { parseCsv, parseMapSpec, rowToPerson } = await import('../../connectors/csv/mapping.js');
    const text = fs.readFileSync(
      new URL('../../../shared/data/linkage/fake_1000.csv', import.meta.url),
      'utf8',
    );
    const mapping = parseMapSpec(
      'unique_id=externalId,first_name=firstName,surname=lastName,dob=dob,city=city,email=email',
    );
    const parsed = parseCsv(text, ',');
    const records: BulkRecord[] = parsed.rows.map((row) => ({
      system: 'fake',
      person: rowToPerson(row, mapping, 'contact'),
    }));
    expect(records).toHaveLength(1000);
    const [a, b] = [await freshDb(), await freshDb()];
    await oneByOne(a, records);
    await bulkResolve(b.dataSource, records);
    const [pa, pb] = [await partition(a), await partition(b)];
    expect(pb.length).toBeGreaterThan(200);
    expect(pb).toEqual(pa);
  }, 300_000);
});

describe('guards hold in bulk', () => {
  it('a role address, a household phone on 40 records and two HR ids do not merge people', async () => {
    const records = [
      rec('crm', 's1', [email('support@acme.example')], { firstName: 'Ann', lastName: 'Lee' }),
      rec('crm', 's2', [email('support@acme.example')], { firstName: 'Bob', lastName: 'Roe' }),
      rec('helpdesk', 's3', [email('support@acme.example')], { firstName: 'Cy', lastName: 'Poe' }),
      ...household((k) => ({ lastName: `Fam${k}` })),
      rec('bamboohr', 'e1', [hrId('E1'), email('sam@corp.example')], { firstName: 'Sam', lastName: 'Hill' }),
      rec('bamboohr', 'e2', [hrId('E2'), email('sam@corp.example')], { firstName: 'Sam', lastName: 'Hill' }),
    ];
    const [a, b] = [await freshDb(), await freshDb()];
    await oneByOne(a, records);
    const report = await bulkResolve(b.dataSource, records);
    expect(report.inserted).toBe(records.length);
    // Same partition as the incremental path, whatever it is...
    expect(await partition(b)).toEqual(await partition(a));
    // ...and that partition keeps these people apart.
    expect(
      new Set([
        await customerOf(b, 'crm', 's1'),
        await customerOf(b, 'crm', 's2'),
        await customerOf(b, 'helpdesk', 's3'),
      ]).size,
    ).toBe(3);
    expect(await customerOf(b, 'bamboohr', 'e1')).not.toBe(await customerOf(b, 'bamboohr', 'e2'));
    const merged: { n: number }[] = await b.dataSource.query(
      `SELECT count(DISTINCT customer_id)::int AS n FROM source_record WHERE system = 'crm' AND external_id LIKE 'h%'`,
    );
    expect(merged[0]!.n).toBe(40);
    const [phoneRow]: { status: string }[] = await b.dataSource.query(
      `SELECT status FROM identifier WHERE kind = 'phone'`,
    );
    expect(phoneRow!.status).toBe('quarantined');
    const reasons: { reason: string }[] = await b.dataSource.query(
      `SELECT DISTINCT reason FROM match_suggestion ORDER BY reason`,
    );
    expect(reasons.map((r) => r.reason)).toEqual(
      expect.arrayContaining(['guard:role_address', 'guard:cardinality', 'guard:name_conflict']),
    );
    const [{ n: support } = { n: -1 }]: { n: number }[] = await b.dataSource.query(
      `SELECT count(*)::int AS n FROM match_suggestion WHERE reason = 'guard:role_address'`,
    );
    expect(support).toBe(3);
  }, 120_000);
});

describe('bulk-loaded customers work with explain, unmerge and erase', () => {
  it('explains the path, unmerges a record and erases a customer for good', async () => {
    const db = await freshDb();
    const resolver = new IdentityResolver(db.dataSource);
    const records = [
      rec('hubspot', 'a', [email('ann@example.com')], { firstName: 'Ann', lastName: 'Lee' }),
      rec('zendesk', 'b', [email('ANN@example.com'), phone('07911 123456')], {
        firstName: 'Ann',
        lastName: 'Lee',
      }),
      rec('twilio', 'c', [phone('+447911123456')], { firstName: 'Ann' }),
      rec('stripe', 'd', [email('dan@example.com')], { firstName: 'Dan', lastName: 'Moss' }),
    ];
    const report = await bulkResolve(db.dataSource, records);
    expect(report).toMatchObject({ inserted: 4, customersCreated: 2, links: 2 });
    const customer = await customerOf(db, 'hubspot', 'a');
    expect(await customerOf(db, 'twilio', 'c')).toBe(customer);
    const [a, c] = [await recordId(db, 'hubspot', 'a'), await recordId(db, 'twilio', 'c')];
    const path = await resolver.explain(a, c);
    expect(path?.map((s) => s.rule)).toEqual(['exact_email', 'exact_phone']);
    expect(path?.[0]?.evidence).toMatchObject({ matched: ['email::ann@example.com'] });
    expect(path?.[0]?.actor).toBe('bulk:exact_email');
    // Golden record and record count are there.
    const [golden]: { traits: Record<string, { value: unknown }>; recordCount: number }[] =
      await db.dataSource.query(`SELECT traits, record_count AS "recordCount" FROM customer WHERE id = $1`, [
        customer,
      ]);
    expect(golden).toMatchObject({
      recordCount: 3,
      traits: { firstName: { value: 'Ann' }, email: { value: 'ann@example.com' } },
    });

    const { customerIds } = await resolver.unmerge(customer, [c], 'tester');
    expect(customerIds[0]).toBe(customer);
    expect(customerIds).toHaveLength(2);
    expect(await customerOf(db, 'twilio', 'c')).toBe(customerIds[1]);

    const erased = await resolver.erase(customer, 'tester');
    expect(erased.removed.sourceRecords).toBe(2);
    // Bulk-loading the same people again does not bring the erased ones back.
    const again = await bulkResolve(db.dataSource, records.slice(0, 2));
    expect(again).toMatchObject({ inserted: 0, skipped: 2 });
  }, 60_000);
});

describe('bulk on top of an existing graph', () => {
  it('attaches to existing customers, keeps the oldest id and redirects the merged one', async () => {
    const db = await freshDb();
    const resolver = new IdentityResolver(db.dataSource);
    await resolver.applyPerson('crm', {
      objectType: 'contact',
      externalId: 'x',
      identifiers: [email('xena@example.com')],
      traits: { firstName: 'Xena' },
    });
    await resolver.applyPerson('billing', {
      objectType: 'contact',
      externalId: 'y',
      identifiers: [phone('07911 123555')],
      traits: { firstName: 'Xena' },
    });
    const [x, y] = [await customerOf(db, 'crm', 'x'), await customerOf(db, 'billing', 'y')];
    expect(x).not.toBe(y);
    const input: BulkRecord[] = [
      rec('shop', 'n1', [email('xena@example.com')], { firstName: 'Xena', city: 'Leeds' }),
      rec('shop', 'n2', [email('xena@example.com'), phone('+447911123555')], { firstName: 'Xena' }),
      rec('shop', 'n3', [email('zed@example.com')], { firstName: 'Zed' }),
      // Already in the graph: an update, through the incremental path.
      {
        system: 'crm',
        person: {
          objectType: 'contact',
          externalId: 'x',
          identifiers: [email('xena@example.com')],
          traits: { firstName: 'Xena', lastName: 'Warrior' },
        },
      },
    ];
    const report = await bulkResolve(db.dataSource, input);
    expect(report).toMatchObject({ inserted: 3, updated: 1, customersCreated: 1, existingMerged: 1 });
    for (const [s, e] of [
      ['shop', 'n1'],
      ['shop', 'n2'],
      ['billing', 'y'],
      ['crm', 'x'],
    ] as const)
      expect(await customerOf(db, s, e)).toBe(x);
    const [redirect]: { customerId: string }[] = await db.dataSource.query(
      `SELECT customer_id AS "customerId" FROM customer_redirect WHERE retired_id = $1`,
      [y],
    );
    expect(redirect?.customerId).toBe(x);
    const [c]: { recordCount: number; traits: Record<string, { value: unknown }> }[] =
      await db.dataSource.query(`SELECT record_count AS "recordCount", traits FROM customer WHERE id = $1`, [
        x,
      ]);
    expect(c).toMatchObject({
      recordCount: 4,
      traits: { lastName: { value: 'Warrior' }, city: { value: 'Leeds' } },
    });
    const audit: { action: string; details: Record<string, unknown> }[] = await db.dataSource.query(
      `SELECT action, details FROM audit_event WHERE action = 'identity.bulk_import'`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ inserted: 3, merges: [{ survivor: x, retired: [y] }] });
    // Running the same import again (a re-run after a commit) finds every record unchanged.
    const again = await bulkResolve(db.dataSource, input);
    expect(again).toMatchObject({ inserted: 0, updated: 0, skipped: 4 });
  }, 60_000);
});

describe('touchpoint import --bulk', () => {
  it('applies the valid rows at once and reports each bad row with its row number and column', async () => {
    const db = await freshDb();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-bulk-'));
    const file = path.join(dir, 'people.csv');
    fs.writeFileSync(
      file,
      [
        'Id,E-mail,Mobile,First,Last',
        'c1,ann@example.com,07911 123456,Ann,Lee',
        'c2,not-an-email,07911 123457,Bob,Roe',
        'c3,ANN@example.com,,Ann,Lee',
        'c4,dee@example.com,,Dee,Fox',
      ].join('\n'),
    );
    // The real command wiring, in process (as test/ingest/csv-import.integration.test.ts does).
    const out: string[] = [];
    const err: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((x) => (out.push(String(x)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((x) => (err.push(String(x)), true));
    const program = new Command('touchpoint').exitOverride();
    registerIngestCommands(program, {
      registry: { csv },
      config: () => loadConfig({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' } }),
    });
    try {
      await program.parseAsync([
        'node',
        'touchpoint',
        'import',
        file,
        '--system',
        'legacy',
        '--map',
        'Id=externalId,E-mail=email,Mobile=phone,First=firstName,Last=lastName',
        '--bulk',
      ]);
    } finally {
      o.mockRestore();
      e.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(err.join('').trim()).toMatch(/^row 3, column "E-mail": .*not-an-email/);
    expect(err.join('').trim().split('\n')).toHaveLength(1);
    expect(out.join('')).toBe('imported 3 of 4 row(s) into legacy, 1 rejected\n');
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    expect(await customerOf(db, 'legacy', 'c1')).toBe(await customerOf(db, 'legacy', 'c3'));
    const audit: { actor: string }[] = await db.dataSource.query(
      `SELECT actor FROM audit_event WHERE action = 'identity.bulk_import'`,
    );
    expect(audit.map((a) => a.actor)).toEqual(['bulk:csv:legacy']);
  }, 60_000);
});

describe('suggestions per record in bulk', () => {
  // Namesakes in one town: names and city agree, nothing personal does, so none links and each
  // close enough becomes a suggestion for the newcomer (the case of the record-by-record test).
  const townsfolk = ['Alice', 'Alicia', 'Alison', 'Alys', 'Alice', 'Ali', 'Alisha', 'Alicen'];
  const records: BulkRecord[] = [
    ...townsfolk.map((firstName, k) =>
      rec('crm', `t${k}`, [{ kind: 'email', value: `t${k}@example.com` }], {
        firstName,
        lastName: 'Smith',
        city: 'Leeds',
      }),
    ),
    rec('crm', 'new', [{ kind: 'email', value: 'new@example.com' }], {
      firstName: 'Alice',
      lastName: 'Smith',
      city: 'Leeds',
    }),
  ];
  /** External ids of the records suggested with the newcomer. */
  async function newcomerSuggestions(db: TestDatabase): Promise<string[]> {
    const id = await recordId(db, 'crm', 'new');
    const rows: { externalId: string }[] = await db.dataSource.query(
      `SELECT sr.external_id AS "externalId" FROM match_suggestion s
         JOIN source_record sr ON sr.id = CASE WHEN s.record_a = $1 THEN s.record_b ELSE s.record_a END
        WHERE $1 IN (s.record_a, s.record_b) ORDER BY sr.external_id`,
      [id],
    );
    return rows.map((r) => r.externalId);
  }

  it('keeps at most maxSuggestionsPerRecord, the best-scored, as record by record does', async () => {
    const [a, b] = [await freshDb(), await freshDb()];
    const resolver = new IdentityResolver(a.dataSource, { maxSuggestionsPerRecord: 3 });
    for (const r of records) await resolver.applyPerson(r.system, r.person);
    await bulkResolve(b.dataSource, records, { config: { maxSuggestionsPerRecord: 3 } });
    const oneByOne = await newcomerSuggestions(a);
    expect(oneByOne).toHaveLength(3);
    expect(await newcomerSuggestions(b)).toEqual(oneByOne);
    expect(await partition(b)).toEqual(await partition(a));

    const [all, none] = [await freshDb(), await freshDb()];
    await bulkResolve(all.dataSource, records, { config: { maxSuggestionsPerRecord: 100 } });
    expect((await newcomerSuggestions(all)).length).toBeGreaterThan(3);
    const report = await bulkResolve(none.dataSource, records, { config: { maxSuggestionsPerRecord: 0 } });
    expect(report.suggestions).toBe(0);
  }, 120_000);

  it('stores each probabilistic evidence once, and readers get what record by record stores', async () => {
    // Two Alices among the townsfolk: the newcomer Alice compares the same with both, and the second
    // with the first, so one evidence serves several suggestions. A role address gives a suggestion
    // whose evidence names the address.
    const withRole: BulkRecord[] = [
      ...records,
      rec('shop', 'r1', [email('support@acme.example')], { firstName: 'Ann' }),
      rec('shop', 'r2', [email('support@acme.example')], { firstName: 'Bob' }),
    ];
    const [a, b] = [await freshDb(), await freshDb()];
    await oneByOne(a, withRole);
    await bulkResolve(b.dataSource, withRole);
    // What a reader gets (the suggestion's own evidence or the shared one it names), pair for pair.
    expect((await identityContents(b)).suggestions).toEqual((await identityContents(a)).suggestions);

    const rows: { reason: string; own: string; evidenceId: string | null }[] = await b.dataSource.query(
      `SELECT reason, evidence::text AS own, evidence_id AS "evidenceId" FROM match_suggestion`,
    );
    const probabilistic = rows.filter((r) => r.reason.startsWith('probabilistic'));
    expect(probabilistic.length).toBeGreaterThan(3);
    for (const r of probabilistic) expect([r.own, r.evidenceId === null]).toEqual(['{}', false]);
    const role = rows.filter((r) => r.reason === 'guard:role_address');
    expect(role).toHaveLength(1);
    expect(role[0]!.evidenceId).toBeNull();
    expect(role[0]!.own).toContain('support@acme.example');
    const shared: { id: string; e: string }[] = await b.dataSource.query(
      `SELECT id, evidence::text AS e FROM match_evidence`,
    );
    expect(shared.map((x) => x.id).sort()).toEqual(
      [...new Set(probabilistic.map((r) => r.evidenceId!))].sort(),
    );
    expect(new Set(shared.map((x) => x.e)).size).toBe(shared.length);
    expect(shared.length).toBeLessThan(probabilistic.length);
    // Shared evidence names no value: erasing a person's suggestions leaves none of it behind.
    expect(shared.map((x) => x.e).join('\n')).not.toMatch(/Ali|Smith|Leeds|example/);

    // The suggestions queue and accepting a suggestion read the shared evidence.
    const api = await startTestApi(b);
    try {
      const list = await api.gql(`{ suggestions(first: 50) { id reason evidence } }`);
      expect(list.errors).toBeUndefined();
      const p = list.data.suggestions.find((x: { reason: string }) => x.reason.startsWith('probabilistic'));
      expect(p.evidence.comparisons.length).toBeGreaterThan(3);
      expect(p.evidence.probability).toBeGreaterThan(0);
      const accepted = await api.gql(`mutation($id: ID!) { acceptSuggestion(id: $id) { customerId } }`, {
        id: p.id,
      });
      expect(accepted.errors).toBeUndefined();
      const [link] = await b.dataSource.query(
        `SELECT evidence FROM identity_link WHERE rule = 'suggestion_accepted'`,
      );
      expect(link.evidence).toEqual({ ...p.evidence, suggestionId: p.id, reason: p.reason });
    } finally {
      await api.stop();
    }
  }, 120_000);

  it('refuses a cap that is not a non-negative integer', async () => {
    const db = await freshDb();
    await expect(
      bulkResolve(db.dataSource, records, { config: { maxSuggestionsPerRecord: -1 } }),
    ).rejects.toThrow(/maxSuggestionsPerRecord must be a non-negative integer, got -1/);
  });
});
