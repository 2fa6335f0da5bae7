import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  execute,
  getNamedType,
  isLeafType,
  isObjectType,
  isNonNullType,
  parse,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { PgEventHub } from '../../src/events/event-hub.js';
import { createRequestContext, createServices, type AppServices } from '../../src/graphql/context.js';
import { buildHubSchema } from '../../src/graphql/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { POLICY, PRINCIPALS, type Principal } from '../../src/security/policy.js';
import { attachRequestSecurity } from '../../src/security/request-security.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createCustomer, createInteraction, createSourceRecord } from '../support/factories.js';

let db: TestDatabase;
let services: AppServices;
let schema: GraphQLSchema;
let ids: { customer: string; recA: string; recB: string };

/** Every personal value seeded: none may appear in an answer to a role the table masks or denies. */
const SECRETS = [
  'ada.lovelace@example.com',
  'lovelace',
  '+447911123456',
  '07911 123456',
  '7911123456',
  'invoice 42 secret',
  'subject-secret',
  'Babbage St',
];

/** Root fields the generator uses, with arguments that reach the seeded customer. */
const ROOTS: Record<string, () => string> = {
  customer: () => `customer(id: "${ids.customer}")`,
  customerByIdentifier: () => `customerByIdentifier(kind: EMAIL, value: "ada.lovelace@example.com")`,
  searchCustomers: () => `searchCustomers(text: "ada")`,
  screenPop: () => `screenPop(phone: "+447911123456")`,
  explainLink: () => `explainLink(a: "${ids.recA}", b: "${ids.recB}")`,
  suggestions: () => `suggestions`,
  auditTrail: () => `auditTrail(customerId: "${ids.customer}")`,
};

/** Builds a random selection over the real schema, drawing choices from `rand`. */
function selection(type: GraphQLObjectType, depth: number, rand: () => number): string {
  const fields = Object.values(type.getFields()).filter((f) =>
    f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined),
  );
  const chosen: string[] = [];
  for (const f of fields) {
    if (rand() % 3 === 0) continue;
    const sub = fieldText(f, depth, rand);
    if (sub) chosen.push(sub);
  }
  if (!chosen.length) {
    const leaf = fields.find((f) => isLeafType(getNamedType(f.type)));
    chosen.push(leaf ? leaf.name : '__typename');
  }
  return `{ ${chosen.join(' ')} }`;
}

function fieldText(f: GraphQLField<unknown, unknown>, depth: number, rand: () => number): string | null {
  const named = getNamedType(f.type);
  if (isLeafType(named)) return f.name;
  if (!isObjectType(named) || depth >= 5) return null;
  return `${f.name} ${selection(named, depth + 1, rand)}`;
}

function check(
  principal: Principal,
  type: GraphQLObjectType,
  value: unknown,
  problems: string[],
  path: string,
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => check(principal, type, v, problems, `${path}.${i}`));
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === '__typename') continue;
    const field = type.getFields()[key];
    if (!field) continue;
    const row = POLICY[`${type.name}.${key}`];
    if (row?.personal && v !== null) {
      const access = row.access[principal];
      if (access === 'deny') problems.push(`${path}.${key}: ${principal} got a value the table denies`);
      if (
        access === 'mask' &&
        !JSON.stringify(v).includes('•') &&
        JSON.stringify(v) !== '{}' &&
        JSON.stringify(v) !== '""'
      ) {
        problems.push(`${path}.${key}: ${principal} got an unmasked value ${JSON.stringify(v)}`);
      }
    }
    const named = getNamedType(field.type);
    if (isObjectType(named)) check(principal, named, v, problems, `${path}.${key}`);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  services = createServices(db.dataSource, createLogger('silent'), '1.0.0', 'GB', {} as PgEventHub);
  schema = await buildHubSchema();
  const customer = await createCustomer(db.dataSource, {
    traits: {
      firstName: { value: 'Ada', source: 'crm', rule: 'source_priority' },
      lastName: { value: 'Lovelace', source: 'crm', rule: 'source_priority' },
      email: { value: 'ada.lovelace@example.com', source: 'crm', rule: 'source_priority' },
      phone: { value: '+447911123456', source: 'crm', rule: 'source_priority' },
      address: { value: { street: '1 Babbage St', city: 'London' }, source: 'crm', rule: 'source_priority' },
    },
  });
  const recA = await createSourceRecord(db.dataSource, {
    customerId: customer,
    system: 'crm',
    externalId: 'crm-1',
    identifiers: [{ kind: 'email', value: 'ada.lovelace@example.com', raw: 'Ada.Lovelace@example.com' }],
  });
  const recB = await createSourceRecord(db.dataSource, {
    customerId: customer,
    system: 'voice',
    externalId: 'call-1',
    identifiers: [{ kind: 'phone', value: '+447911123456', raw: '07911 123456' }],
  });
  await db.dataSource.query(
    `INSERT INTO identity_link (from_record_id, to_record_id, rule, evidence, actor) VALUES ($1, $2, 'manual_merge', $3, 'user:test')`,
    [recA, recB, JSON.stringify({ email: 'ada.lovelace@example.com', phone: '+447911123456' })],
  );
  await db.dataSource.query(
    `INSERT INTO match_suggestion (record_a, record_b, reason, score, evidence) VALUES ($1, $2, 'probabilistic', 9.5, $3)`,
    [recA, recB, JSON.stringify({ lastName: 'Lovelace', phone: '07911 123456' })],
  );
  const interaction = await createInteraction(db.dataSource, {
    customerId: customer,
    system: 'voice',
    externalId: 'i-1',
    occurredAt: new Date('2026-01-01T10:00:00Z'),
    summary: 'Ada: invoice 42 secret',
  });
  await db.dataSource.query(`UPDATE interaction SET attributes = $2 WHERE id = $1`, [
    interaction,
    JSON.stringify({ callerId: '07911 123456', minutes: 3 }),
  ]);
  await db.dataSource.query(
    `INSERT INTO conversation (system, external_id, customer_id, channel, status, subject, opened_at) VALUES ('desk', 't-1', $1, 'email', 'open', 'subject-secret', now())`,
    [customer],
  );
  ids = { customer, recA, recB };
});

afterAll(async () => {
  await db?.drop();
});

describe('field policy over the real schema (property)', () => {
  it('no generated query lets a role read a personal value the table masks or denies', async () => {
    const queryType = schema.getQueryType()!;
    let withPersonal = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PRINCIPALS),
        fc.subarray(Object.keys(ROOTS), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
        async (principal, roots, numbers) => {
          let i = 0;
          const rand = () => numbers[i++ % numbers.length]! + i;
          const body = roots
            .map((r) => {
              const f = queryType.getFields()[r]!;
              const named = getNamedType(f.type);
              return `${ROOTS[r]!()} ${isObjectType(named) ? selection(named, 2, rand) : ''}`;
            })
            .join(' ');
          const query = `{ ${body} }`;
          const ctx = createRequestContext(services, 'prop');
          ctx.role = principal === 'anonymous' ? null : principal;
          ctx.actor = principal;
          attachRequestSecurity(ctx, {
            purpose: 'property test',
            method: principal === 'anonymous' ? 'anonymous' : 'api-key',
          });
          const result = await execute({ schema, document: parse(query), contextValue: ctx });
          const text = JSON.stringify(result.data ?? {}).toLowerCase();
          if (SECRETS.some((s) => text.includes(s.toLowerCase()))) withPersonal += 1;
          const problems: string[] = [];
          check(principal, queryType, result.data, problems, '');
          const everyPersonalRestricted = Object.values(POLICY).every(
            (r) => !r.personal || r.access[principal] !== 'allow',
          );
          if (everyPersonalRestricted) {
            for (const s of SECRETS)
              if (text.includes(s.toLowerCase())) problems.push(`${principal} saw "${s}"`);
          }
          for (const e of result.errors ?? []) {
            const code = e.extensions?.code;
            if (code !== 'FORBIDDEN' && code !== 'UNAUTHENTICATED')
              problems.push(`unexpected error ${String(code)}: ${e.message}`);
          }
          if (problems.length) throw new Error(`${query}\n${problems.join('\n')}`);
        },
      ),
      { numRuns: 1000, seed: 20261125 },
    );
    // The generator did reach personal data (for the roles allowed to read it).
    expect(withPersonal).toBeGreaterThan(50);
  });
});
