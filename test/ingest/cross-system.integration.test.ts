import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectors } from '../../connectors/index.js';
import { instanceForSimulator, simulators, type RunningVendorSimulator } from '../../connectors/simulators.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { isRoleAddress, normaliseIdentifier } from '../../src/identity/normalise/identifier.normaliser.js';
import { ApplyService, createInstanceRuntime, parseInstances, runSync } from '../../src/ingest/index.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation, type Population } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const VENDORS = ['hubspot', 'salesforce', 'stripe', 'bamboohr'] as const;
let db: TestDatabase;
let population: Population;
const sims: Record<string, RunningVendorSimulator> = {};

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 8 });
  population = generatePopulation({ seed: 'cross-system', people: 80, employees: 8 });
  const log = createLogger('silent');
  const apply = new ApplyService(db.dataSource, new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }), log);
  for (const id of VENDORS) {
    const sim = await simulators[id]({ population });
    sims[id] = sim;
    const { entry, env } = instanceForSimulator(id, id, sim);
    const [instance] = parseInstances([entry], connectors, { env });
    const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
    const results = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    rt.close();
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
  }
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(sims).map((s) => s.close()));
  await db?.drop();
});

describe('people in several CRM, billing and HR systems', () => {
  it('come out as one customer each, and a shared support@ address merges nobody', async () => {
    const norm = (kind: 'email' | 'phone', v: string | null) => {
      if (!v) return null;
      const r = normaliseIdentifier({ kind, value: v }, { defaultRegion: 'GB' });
      return r.ok ? r.identifier.value : null;
    };
    const householdPhones = new Set(population.households.map((h) => norm('phone', h.phone)));
    let multi = 0;
    const split: string[] = [];
    for (const p of population.people) {
      const copies = (['crm', 'billing'] as const).map((c) => p.copies[c]).filter((c) => c !== undefined);
      if (copies.length < 2) continue;
      multi++;
      const emails = copies.map((c) => norm('email', c.email)).filter((e): e is string => !!e && !isRoleAddress(e));
      const phones = copies.map((c) => norm('phone', c.phone)).filter((v): v is string => !!v && !householdPhones.has(v));
      const rows: { customerId: string }[] = await db.dataSource.query(
        `SELECT DISTINCT sr.customer_id AS "customerId" FROM identifier i JOIN record_identifier ri ON ri.identifier_id = i.id
           JOIN source_record sr ON sr.id = ri.source_record_id
          WHERE sr.system = ANY($1::text[]) AND ((i.kind = 'email' AND i.value = ANY($2::text[])) OR (i.kind = 'phone' AND i.value = ANY($3::text[])))`,
        [['hubspot', 'salesforce', 'stripe'], emails, phones],
      );
      if (rows.length > 1) split.push(`${p.personId} (${rows.length} customers)`);
    }
    console.log(`people in CRM and billing: ${multi}; split across customers: ${split.length}`);
    expect(multi).toBeGreaterThan(10);
    expect(split).toEqual([]);

    // No customer joins two people of the population (employees are people too: skip HR-only staff).
    const owner = new Map<string, string>();
    for (const p of population.people) {
      for (const c of Object.values(p.copies)) {
        const e = norm('email', c.email);
        if (e && !isRoleAddress(e)) owner.set(`email:${e}`, p.personId);
        const ph = norm('phone', c.phone);
        if (ph && !householdPhones.has(ph)) owner.set(`phone:${ph}`, p.personId);
      }
    }
    const held: { customerId: string; key: string }[] = await db.dataSource.query(
      `SELECT sr.customer_id AS "customerId", i.kind || ':' || i.value AS key FROM identifier i
         JOIN record_identifier ri ON ri.identifier_id = i.id JOIN source_record sr ON sr.id = ri.source_record_id
        WHERE i.kind IN ('email', 'phone') AND sr.system = ANY($1::text[])`,
      [['hubspot', 'salesforce', 'stripe']],
    );
    const peopleOf = new Map<string, Set<string>>();
    for (const h of held) {
      const person = owner.get(h.key);
      if (!person) continue;
      peopleOf.set(h.customerId, (peopleOf.get(h.customerId) ?? new Set()).add(person));
    }
    const merged = [...peopleOf.entries()].filter(([, s]) => s.size > 1).map(([c, s]) => `${c}: ${[...s].join(', ')}`);
    console.log(`customers checked: ${peopleOf.size}; holding two people: ${merged.length}`);
    expect(merged).toEqual([]);

    // Records holding a role address belong to several people; no customer may join two of them by it.
    const roleCustomers: { customerId: string; people: string }[] = await db.dataSource.query(
      `SELECT sr.customer_id AS "customerId", count(DISTINCT sr.id)::text AS people FROM identifier i
         JOIN record_identifier ri ON ri.identifier_id = i.id JOIN source_record sr ON sr.id = ri.source_record_id
        WHERE i.kind = 'email' AND i.status = 'blocked' GROUP BY sr.customer_id`,
    );
    const [{ n: roleRecords }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM identifier i JOIN record_identifier ri ON ri.identifier_id = i.id WHERE i.kind = 'email' AND i.status = 'blocked'`,
    );
    expect(roleRecords).toBeGreaterThan(1);
    const [{ n: links }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM identity_link l JOIN identifier i ON i.id = l.identifier_id WHERE i.status = 'blocked' AND l.retracted_at IS NULL`,
    );
    expect(links).toBe(0);
    expect(roleCustomers.length).toBeGreaterThan(0);
  });
});
