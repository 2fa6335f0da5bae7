import { readFileSync } from 'node:fs';
import { mapConversation } from './mapping.js';
import type { GraphConversation, GraphList } from './client.js';

test('a recorded Messenger conversation maps to page-scoped identity, messages, first response and the 24 h reply window', () => {
  const page = JSON.parse(
    readFileSync(new URL('./fixtures/conversations-page.json', import.meta.url), 'utf8'),
  ) as GraphList<GraphConversation>;
  const conversation = page.data[0]!;
  const out = mapConversation({
    platform: 'messenger',
    scopeId: '104417925581001',
    conversation,
    messages: conversation.messages!.data,
  });
  expect(out.people).toEqual([
    expect.objectContaining({
      externalId: '104417925581001:7301234567890123',
      identifiers: [
        { kind: 'social', namespace: 'facebook:page:104417925581001', value: '7301234567890123' },
      ],
      traits: { displayName: 'Ada Lovelace' },
    }),
  ]);
  // the relay address `<psid>@facebook.com` is not an email identity
  expect(JSON.stringify(out.people![0]!.identifiers)).not.toContain('@facebook.com');
  const [first, reply] = out.interactions!;
  expect(first).toMatchObject({
    externalId: 'm_first1',
    direction: 'inbound',
    occurredAt: '2026-11-20T10:00:00.000Z',
  });
  expect(first!.sentiment).toBeLessThan(0);
  expect(reply).toMatchObject({ externalId: 'm_reply2', direction: 'outbound', sentiment: null });
  expect(first!.conversation).toMatchObject({
    externalId: 'facebook:page:104417925581001:7301234567890123',
    lastInboundAt: '2026-11-20T10:00:00.000Z',
    firstResponseAt: '2026-11-20T10:30:00.000Z',
    replyWindowEndsAt: '2026-11-21T10:00:00.000Z',
  });
  expect(first!.attributes).toMatchObject({
    graphConversationId: 't_10000000',
    humanAgentWindowEndsAt: '2026-11-27T10:00:00.000Z',
  });
});
