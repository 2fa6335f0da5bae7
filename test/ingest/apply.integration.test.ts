import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { inTransaction } from '../../src/db/sql.js';
import { listDeadLetters } from '../../src/ingest/dead-letter.js';
import { listenToHubEvents } from '../support/events.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let apply: ApplyService;

beforeAll(async () => {
  db = await createTestDatabase();
  apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    createLogger('silent'),
  );
});
afterAll(async () => {
  await db.drop();
});

const q = <T>(text: string, params: unknown[] = []) => db.dataSource.query(text, params) as Promise<T[]>;

describe('ApplyService', () => {
  it('applies the same interaction twice without changing anything, and publishes interaction.applied once', async () => {
    const listener = await listenToHubEvents<{ type: string; interactionId: string }>(db.url);
    const { events } = listener;
    const batch = {
      people: [
        {
          objectType: 'contact',
          externalId: 'c1',
          identifiers: [{ kind: 'email' as const, value: 'Ann.Lee@Example.com' }],
          traits: { firstName: 'Ann' },
        },
      ],
      interactions: [
        {
          externalId: 'call-1',
          occurredAt: '2026-01-01T10:00:00Z',
          channel: 'voice',
          direction: 'inbound' as const,
          kind: 'call',
          person: { objectType: 'contact', externalId: 'c1' },
          updatedAt: '2026-01-01T10:05:00Z',
        },
      ],
    };
    const first = await apply.applyBatch('crm', batch);
    expect(first.interactions.applied).toBe(1);
    const [before] = await q<{ id: string; xmin: string; customer_id: string }>(
      `SELECT id, xmin::text, customer_id FROM interaction WHERE external_id = 'call-1'`,
    );
    const second = await apply.applyBatch('crm', batch);
    expect(second.interactions).toEqual({ applied: 0, unchanged: 1, deleted: 0 });
    const [after] = await q<{ id: string; xmin: string; customer_id: string }>(
      `SELECT id, xmin::text, customer_id FROM interaction WHERE external_id = 'call-1'`,
    );
    expect(after).toEqual(before);
    const [rec] = await q<{ customer_id: string }>(
      `SELECT customer_id FROM source_record WHERE external_id = 'c1'`,
    );
    expect(after!.customer_id).toBe(rec!.customer_id);
    await new Promise((r) => setTimeout(r, 200));
    await listener.end();
    expect(
      events.filter((e) => e.type === 'interaction.applied' && e.interactionId === before!.id),
    ).toHaveLength(1);
  });

  it('never lets an older update overwrite a newer one (interactions and employees)', async () => {
    const base = {
      externalId: 't-9',
      occurredAt: '2026-02-01T00:00:00Z',
      channel: 'email',
      direction: 'inbound' as const,
      kind: 'ticket',
    };
    await apply.applyBatch('desk', {
      interactions: [{ ...base, summary: 'newer', updatedAt: '2026-02-03T00:00:00Z' }],
    });
    const stale = await apply.applyBatch('desk', {
      interactions: [{ ...base, summary: 'older', updatedAt: '2026-02-02T00:00:00Z' }],
    });
    expect(stale.interactions.unchanged).toBe(1);
    expect(
      (await q<{ summary: string }>(`SELECT summary FROM interaction WHERE external_id = 't-9'`))[0]!.summary,
    ).toBe('newer');
    await apply.applyBatch('desk', {
      interactions: [{ ...base, summary: 'newest', updatedAt: '2026-02-04T00:00:00Z' }],
    });
    expect(
      (await q<{ summary: string }>(`SELECT summary FROM interaction WHERE external_id = 't-9'`))[0]!.summary,
    ).toBe('newest');

    await apply.applyBatch('hr', {
      employees: [
        {
          externalId: 'e1',
          displayName: 'Bo New',
          workEmails: ['Bo@Corp.test'],
          updatedAt: '2026-03-02T00:00:00Z',
        },
      ],
    });
    const oldEmp = await apply.applyBatch('hr', {
      employees: [{ externalId: 'e1', displayName: 'Bo Old', updatedAt: '2026-03-01T00:00:00Z' }],
    });
    expect(oldEmp.employees).toEqual({ applied: 0, unchanged: 1 });
    const [emp] = await q<{ display_name: string; work_emails: string[] }>(
      `SELECT display_name, work_emails FROM employee WHERE external_id = 'e1'`,
    );
    expect(emp).toEqual({ display_name: 'Bo New', work_emails: ['bo@corp.test'] });
  });

  it('resolves an identifier-only caller to the customer holding the phone, or creates a caller record', async () => {
    await apply.applyBatch('crm', {
      people: [
        {
          objectType: 'contact',
          externalId: 'p-phone',
          identifiers: [{ kind: 'phone', value: '+44 7911 123456' }],
        },
      ],
    });
    const [holder] = await q<{ id: string; customer_id: string }>(
      `SELECT id, customer_id FROM source_record WHERE external_id = 'p-phone'`,
    );
    await apply.applyBatch('voice', {
      interactions: [
        {
          externalId: 'CA1',
          occurredAt: '2026-01-02T00:00:00Z',
          channel: 'voice',
          direction: 'inbound',
          kind: 'call',
          person: { identifiers: [{ kind: 'phone', value: '07911 123456' }] },
        },
        {
          externalId: 'CA2',
          occurredAt: '2026-01-02T00:00:00Z',
          channel: 'voice',
          direction: 'inbound',
          kind: 'call',
          person: { identifiers: [{ kind: 'phone', value: '07911 123999' }] },
        },
      ],
    });
    const rows = await q<{ external_id: string; customer_id: string; source_record_id: string }>(
      `SELECT external_id, customer_id, source_record_id FROM interaction WHERE system = 'voice' ORDER BY external_id`,
    );
    expect(rows[0]).toMatchObject({
      external_id: 'CA1',
      customer_id: holder!.customer_id,
      source_record_id: holder!.id,
    });
    const [caller] = await q<{ object_type: string; customer_id: string; id: string }>(
      `SELECT object_type, customer_id, id FROM source_record WHERE system = 'voice'`,
    );
    expect(caller!.object_type).toBe('caller');
    expect(rows[1]).toMatchObject({ customer_id: caller!.customer_id, source_record_id: caller!.id });
    expect(caller!.customer_id).not.toBe(holder!.customer_id);
  });

  it('links handledBy and the conversation assignee to employees by HR id, work email or handle', async () => {
    await apply.applyBatch('bamboo', {
      employees: [
        {
          externalId: '42',
          displayName: 'Cy Agent',
          workEmails: ['cy@corp.test'],
          handles: { x: 'cy_agent', zd: '998' },
        },
      ],
    });
    const [emp] = await q<{ id: string }>(
      `SELECT id FROM employee WHERE system = 'bamboo' AND external_id = '42'`,
    );
    await apply.applyBatch('zd', {
      people: [
        { objectType: 'user', externalId: 'u1', identifiers: [{ kind: 'email', value: 'dee@example.org' }] },
      ],
      interactions: [
        {
          externalId: 'cm-1',
          occurredAt: '2026-01-03T00:00:00Z',
          channel: 'email',
          direction: 'outbound',
          kind: 'comment',
          person: { objectType: 'user', externalId: 'u1' },
          handledBy: { email: 'CY@corp.test' },
          conversation: {
            externalId: 'ticket-1',
            channel: 'email',
            status: 'open',
            assignee: { system: 'bamboo', externalId: '42' },
          },
        },
        {
          externalId: 'dm-1',
          occurredAt: '2026-01-03T00:00:00Z',
          channel: 'social_private',
          direction: 'outbound',
          kind: 'message',
          handledBy: { handle: { platform: 'x', value: '@Cy_Agent' } },
        },
      ],
    });
    const ints = await q<{
      external_id: string;
      handled_by_employee_id: string;
      conversation_id: string | null;
      customer_id: string | null;
    }>(
      `SELECT external_id, handled_by_employee_id, conversation_id, customer_id FROM interaction WHERE system = 'zd' ORDER BY external_id`,
    );
    expect(ints.map((r) => r.handled_by_employee_id)).toEqual([emp!.id, emp!.id]);
    const [conv] = await q<{ id: string; assignee_employee_id: string; customer_id: string }>(
      `SELECT id, assignee_employee_id, customer_id FROM conversation WHERE external_id = 'ticket-1'`,
    );
    expect(conv!.assignee_employee_id).toBe(emp!.id);
    expect(ints[0]!.conversation_id).toBe(conv!.id);
    expect(conv!.customer_id).toBe(ints[0]!.customer_id);

    // The agent's reply names no person and the agent only by their Zendesk id: it joins the
    // conversation's customer and the employee whose handles hold that id.
    await apply.applyBatch('zd', {
      interactions: [
        {
          externalId: 'cm-2',
          occurredAt: '2026-01-03T01:00:00Z',
          channel: 'email',
          direction: 'outbound',
          kind: 'comment',
          handledBy: { externalId: '998' },
          conversation: { externalId: 'ticket-1', channel: 'email', status: 'pending' },
        },
      ],
    });
    const [reply] = await q<{ handled_by_employee_id: string; customer_id: string; conversation_id: string }>(
      `SELECT handled_by_employee_id, customer_id, conversation_id FROM interaction WHERE external_id = 'cm-2'`,
    );
    expect(reply).toEqual({
      handled_by_employee_id: emp!.id,
      customer_id: conv!.customer_id,
      conversation_id: conv!.id,
    });
    const [after] = await q<{ status: string; assignee_employee_id: string }>(
      `SELECT status, assignee_employee_id FROM conversation WHERE id = $1`,
      [conv!.id],
    );
    expect(after).toEqual({ status: 'pending', assignee_employee_id: emp!.id });
  });

  it('dead-letters one bad object of a page and applies the rest', async () => {
    const good = {
      interactions: [
        {
          externalId: 'ok-1',
          occurredAt: '2026-01-01T00:00:00Z',
          channel: 'chat',
          direction: 'inbound' as const,
          kind: 'message',
        },
      ],
    };
    const bad = {
      interactions: [
        {
          externalId: 'bad-1',
          occurredAt: 'not a date',
          channel: 'chat',
          direction: 'inbound' as const,
          kind: 'message',
        },
      ],
    };
    const outcome = await inTransaction(db.dataSource, (sql) =>
      apply.applyPageIn(sql, 'chat', 'stream:messages', [
        { raw: { id: 'ok-1' }, batch: good },
        { raw: { id: 'bad-1' }, batch: bad },
        { raw: { id: 'boom' }, error: new Error('vendor object has no id') },
      ]),
    );
    expect(outcome.interactions.applied).toBe(1);
    expect(outcome.deadLettered).toBe(2);
    expect(await q(`SELECT 1 FROM interaction WHERE system = 'chat'`)).toHaveLength(1);
    const dead = await inTransaction(db.dataSource, (sql) => listDeadLetters(sql, 'chat'));
    expect(dead.map((d) => d.reason).sort()).toEqual([
      'ApplyValidationError: interaction bad-1 occurredAt is not a valid date (got "not a date")',
      'Error: vendor object has no id',
    ]);
    expect(dead.every((d) => d.source === 'stream:messages')).toBe(true);
  });
});
