import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CanonicalIdentifier } from '../../src/connector-kit/canonical.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { connectedComponents } from '../../src/identity/matching/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const SYSTEMS = ['hubspot', 'salesforce', 'stripe', 'zendesk', 'twilio'];

interface GenRecord {
  system: string;
  externalId: string;
  identifiers: CanonicalIdentifier[];
}

/** People with a few emails/phones each; records state a subset, sometimes with another person's value. */
const recordsArb = fc
  .record({
    people: fc.integer({ min: 4, max: 12 }),
    picks: fc.array(
      fc.record({
        person: fc.nat(),
        mask: fc.integer({ min: 1, max: 7 }),
        cross: fc.option(fc.record({ person: fc.nat(), which: fc.nat(2) }), { freq: 15 }),
      }),
      {
        minLength: 20,
        maxLength: 40,
      },
    ),
  })
  .map(({ people, picks }): GenRecord[] => {
    const valuesOf = (p: number): CanonicalIdentifier[] => [
      { kind: 'email', value: `p${p}.a@example.org` },
      { kind: 'email', value: `p${p}.b@mail.example.net` },
      { kind: 'phone', value: `+4479111234${String(p).padStart(2, '0')}` },
    ];
    return picks.map((pick, i) => {
      const own = valuesOf(pick.person % people).filter((_, k) => pick.mask & (1 << k));
      const cross = pick.cross ? [valuesOf(pick.cross.person % people)[pick.cross.which]!] : [];
      return { system: SYSTEMS[i % SYSTEMS.length]!, externalId: `r${i}`, identifiers: [...own, ...cross] };
    });
  });

/** The partition the linking rules imply: components over shared identifier values. */
function expectedPartition(records: GenRecord[]): string[][] {
  const first = new Map<string, number>();
  const links: Array<[number, number]> = [];
  records.forEach((r, i) =>
    r.identifiers.forEach((idf) => {
      const k = `${idf.kind}:${idf.value}`;
      const f = first.get(k);
      if (f === undefined) first.set(k, i);
      else links.push([f, i]);
    }),
  );
  const comp = connectedComponents(records.length, links);
  const groups = new Map<number, string[]>();
  records.forEach((r, i) =>
    groups.set(comp[i]!, [...(groups.get(comp[i]!) ?? []), `${r.system}:${r.externalId}`]),
  );
  return canonical([...groups.values()]);
}

const canonical = (groups: string[][]): string[][] =>
  groups.map((g) => [...g].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 8 });
});
afterAll(async () => {
  await db.drop();
});

/**
 * Each run writes its own world into the one database (audit_event is append-only, so no
 * TRUNCATE): external ids and identifier values carry the run's prefix.
 */
let runs = 0;
function world(records: GenRecord[]): { prefix: string; records: GenRecord[] } {
  const n = runs++;
  const prefix = `w${n}-`;
  return {
    prefix,
    records: records.map((r) => ({
      ...r,
      externalId: prefix + r.externalId,
      identifiers: r.identifiers.map((i) =>
        i.kind === 'email'
          ? { ...i, value: prefix + i.value }
          : { ...i, value: i.value.replace('+447911', `+4479${String(n % 100).padStart(2, '0')}`) },
      ),
    })),
  };
}

async function partition(prefix: string): Promise<string[][]> {
  const rows: { k: string[] }[] = await db.dataSource.query(
    `SELECT array_agg(system || ':' || substr(external_id, $2)) AS k FROM source_record WHERE starts_with(external_id, $1) GROUP BY customer_id`,
    [prefix, prefix.length + 1],
  );
  return canonical(rows.map((r) => r.k));
}

describe('identity resolution under concurrency', () => {
  it('any order and any concurrency give the serial partition', async () => {
    const resolver = new IdentityResolver(db.dataSource);
    const apply = (r: GenRecord) =>
      resolver.applyPerson(r.system, {
        objectType: 'contact',
        externalId: r.externalId,
        identifiers: r.identifiers,
      });
    await fc.assert(
      fc.asyncProperty(
        recordsArb.chain((records) =>
          fc.record({
            records: fc.constant(records),
            order: fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }),
            chunk: fc.integer({ min: 2, max: 40 }),
          }),
        ),
        async ({ records, order, chunk }) => {
          const serialWorld = world(records);
          for (const r of serialWorld.records) await apply(r);
          const serial = await partition(serialWorld.prefix);
          expect(serial).toEqual(expectedPartition(records));

          const concurrent = world(order);
          for (let i = 0; i < order.length; i += chunk)
            await Promise.all(concurrent.records.slice(i, i + chunk).map(apply));
          expect(await partition(concurrent.prefix)).toEqual(serial);
          // Every customer that holds records is live, and every live link joins records of one customer.
          const [bad] = await db.dataSource.query(
            `SELECT (SELECT count(*) FROM source_record sr JOIN customer c ON c.id = sr.customer_id WHERE c.status <> 'active')::int AS "onRetired",
                    (SELECT count(*) FROM identity_link l JOIN source_record a ON a.id = l.from_record_id JOIN source_record b ON b.id = l.to_record_id
                      WHERE l.retracted_at IS NULL AND a.customer_id <> b.customer_id)::int AS "splitLinks"`,
          );
          expect(bad).toEqual({ onRetired: 0, splitLinks: 0 });
        },
      ),
      { numRuns: 15, endOnFailure: true },
    );
  }, 600_000);
});
