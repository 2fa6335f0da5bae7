import { readFileSync } from 'node:fs';
import { mapDm, mapMention } from './mapping.js';
import type { XDmEvent, XListResponse, XPost } from './client.js';

const load = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as XListResponse<T>;

test('a recorded mention page maps to an inbound public post by the author, identified by user id and current handle', () => {
  const page = load<XPost>('mentions-page.json');
  const out = mapMention({ post: page.data![0]!, author: page.includes!.users![0]! });
  expect(out.people).toEqual([
    expect.objectContaining({
      objectType: 'user',
      externalId: '2244994945',
      identifiers: [
        { kind: 'social', namespace: 'x', value: '2244994945' },
        { kind: 'social', namespace: 'x:handle', value: 'ada_l' },
      ],
      traits: { xHandle: 'ada_l', displayName: 'Ada Lovelace', city: 'London' },
    }),
  ]);
  expect(out.interactions![0]).toMatchObject({
    externalId: 'post:1861000000000000001',
    channel: 'social_public',
    kind: 'post',
    direction: 'inbound',
    summary: page.data![0]!.text,
  });
  expect(out.interactions![0]!.sentiment).toBeLessThan(0);
});

test('recorded DM events map to one conversation with inbound and outbound messages about the customer', () => {
  const page = load<XDmEvent>('dm-events-page.json');
  const [outbound, inbound] = page.data!.map((event) =>
    mapDm({ event, users: page.includes!.users! }, '1500000000000000001'),
  );
  expect(inbound!.interactions![0]).toMatchObject({
    direction: 'inbound',
    person: { externalId: '2244994945' },
    conversation: { externalId: '1500000000000000001-2244994945', replyWindowEndsAt: null },
  });
  expect(outbound!.interactions![0]).toMatchObject({
    direction: 'outbound',
    sentiment: null,
    person: { externalId: '2244994945' },
  });
  expect(outbound!.people![0]!.externalId).toBe('2244994945');
});
