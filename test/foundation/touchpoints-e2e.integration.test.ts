import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mapContact, mapTicket } from '../../connectors/hubspot/mapping.js';
import { mapCall } from '../../connectors/twilio/mapping.js';
import { mapMention } from '../../connectors/x/mapping.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const fixture = (path: string) => JSON.parse(fs.readFileSync(new URL(`../../connectors/${path}`, import.meta.url), 'utf8'));

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

describe('one customer across the contact centre, the CRM and social', () => {
  it('a caller whose phone is in Twilio and whose X handle is on the CRM contact shows calls, tickets and posts in time order', async () => {
    const apply = new ApplyService(db.dataSource, new IdentityResolver(db.dataSource, { defaultRegion: 'US' }), createLogger('silent'));
    const call = fixture('twilio/fixtures/call-inbound-completed.json');
    const mentions = fixture('x/fixtures/mentions-page.json');
    const author = mentions.includes.users[0];
    const contact = fixture('hubspot/fixtures/contact.json');
    // The CRM contact holds the caller's phone (in another format) and the X handle.
    contact.properties.mobilephone = '(415) 555-0199';
    contact.properties.twitterhandle = `@${author.username}`;

    await apply.applyBatch('twilio', mapCall(call));
    await apply.applyBatch('x', mapMention({ post: mentions.data[0], author }));
    await apply.applyBatch('hubspot', { people: [mapContact(contact)], interactions: [mapTicket(fixture('hubspot/fixtures/ticket.json'))] });

    const res = await api.gql(`{ customerByIdentifier(kind: PHONE, value: "+1 415 555 0199") {
      identities { kind namespace sourceRecord { system } }
      timeline(first: 10, order: OLDEST_FIRST) { edges { node { system kind channel occurredAt } } } } }`);
    expect(res.errors).toBeUndefined();
    const customer = res.data.customerByIdentifier;
    expect(new Set(customer.identities.map((i: any) => i.sourceRecord.system))).toEqual(new Set(['twilio', 'x', 'hubspot']));
    const timeline = customer.timeline.edges.map((e: any) => e.node);
    expect(timeline.map((n: any) => `${n.system}:${n.kind}`)).toEqual(['twilio:call', 'hubspot:ticket', 'x:post']);
    const times = timeline.map((n: any) => Date.parse(n.occurredAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
