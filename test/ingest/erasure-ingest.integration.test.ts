import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let identity: IdentityResolver;
let apply: ApplyService;

beforeAll(async () => {
  db = await createTestDatabase();
  identity = new IdentityResolver(db.dataSource, { defaultRegion: 'GB' });
  apply = new ApplyService(db.dataSource, identity, createLogger('silent'));
});

afterAll(async () => {
  await db?.drop();
});

const count = async (table: string) => Number((await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

describe('erasure holds on the apply path every sync, webhook and import uses', () => {
  it('erasing one member of a merged customer removes everything, and re-ingesting the same ids stores nothing', async () => {
    const batch = (suffix: string) => ({
      people: [
        { objectType: 'contact', externalId: 'C1', identifiers: [{ kind: 'email' as const, value: 'erase.me@example.com' }] },
      ],
      interactions: [
        {
          externalId: `T-${suffix}`,
          occurredAt: '2026-11-01T10:00:00Z',
          channel: 'email',
          direction: 'inbound' as const,
          kind: 'ticket',
          summary: 'My address is 1 High St',
          person: { objectType: 'contact', externalId: 'C1' },
          conversation: { externalId: `conv-${suffix}`, channel: 'email', subject: 'Address change' },
        },
        {
          externalId: `CALL-${suffix}`,
          occurredAt: '2026-11-01T11:00:00Z',
          channel: 'voice',
          direction: 'inbound' as const,
          kind: 'call',
          person: { identifiers: [{ kind: 'phone' as const, value: '+44 20 7946 0123' }] },
        },
      ],
    });
    await apply.applyBatch('zendesk', batch('1'));
    // The caller's phone also appears on the contact in another system: one customer.
    const stripe = await identity.applyPerson('stripe', {
      objectType: 'customer',
      externalId: 'cus_9',
      identifiers: [{ kind: 'email', value: 'erase.me@example.com' }, { kind: 'phone', value: '020 7946 0123' }],
    });
    expect(await count('interaction')).toBe(2);
    const [{ n: customers }] = await db.dataSource.query(`SELECT count(DISTINCT customer_id)::int AS n FROM source_record`);
    expect(customers).toBe(1);

    const erased = await identity.erase(stripe.customerId!, 'user:dpo');
    expect([...new Set(erased.notify.map((n) => n.system))].sort()).toEqual(['stripe', 'zendesk']);
    for (const table of ['source_record', 'interaction', 'conversation', 'record_identifier', 'identity_link', 'customer']) {
      expect([table, await count(table)]).toEqual([table, 0]);
    }

    // The same source ids again, through the shared apply path: nothing comes back.
    const again = await apply.applyBatch('zendesk', batch('2'));
    expect(again.people.skipped).toBeGreaterThanOrEqual(1);
    for (const table of ['source_record', 'interaction', 'conversation', 'customer']) {
      expect([table, await count(table)]).toEqual([table, 0]);
    }
  });
});
