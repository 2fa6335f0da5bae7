import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import type { XDmEvent, XListResponse, XPost } from './client.js';
import x from './index.js';
import { startSimulator, type XSimulator } from './simulator.js';

const page = <T>(name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as XListResponse<T>;
const mentions = page<XPost>('mentions-page.json');
const dms = page<XDmEvent>('dm-events-page.json');
const NOW = Date.UTC(2026, 0, 1, 12);
let sim: XSimulator;

/** An Account Activity delivery signed by the simulator as X signs it (no timestamp: the events' own times count). */
function delivery(at: number): WebhookRequest {
  const brand = String(sim.config.userId);
  const author = [...sim.users.keys()].find((id) => id !== brand)!;
  const { body, headers } = sim.accountActivity('mention', {
    authorId: author,
    text: 'hello @brand',
    at: new Date(at),
  });
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/x-1',
    path: '/webhooks/x-1',
    query: {},
    headers,
    rawBody: Buffer.from(body),
  };
}

// X's 15-minute windows with x-rate-limit-reset stay in x.integration.test.ts; the kit sends a plain 429.
runConnectorContract({
  connector: x,
  startSimulator: async () => {
    sim = await startSimulator({
      population: generatePopulation({ seed: 'x-contract', people: 200, employees: 5 }),
    });
    return { ...sim, server: sim.kit, config: { ...sim.config, maxResults: 10 } };
  },
  webhooks: () => ({ nowMs: NOW, good: delivery(NOW - 10_000), stale: delivery(NOW - 2 * 3_600_000) }),
  recorded: [
    { stream: 'mentions', items: [{ post: mentions.data![0]!, author: mentions.includes!.users![0]! }] },
    {
      stream: 'direct_messages',
      items: dms.data!.map((event) => ({ event, users: dms.includes!.users! })),
    },
  ],
});
