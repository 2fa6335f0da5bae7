import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import type { GraphConversation, GraphList } from './client.js';
import meta from './index.js';
import { startSimulator, type MetaSimulator } from './simulator.js';

const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/conversations-page.json', import.meta.url), 'utf8'),
) as GraphList<GraphConversation>;
const NOW = Date.UTC(2026, 0, 1, 12);
let sim: MetaSimulator;

/** A messaging delivery signed by the simulator as Meta signs it (X-Hub-Signature-256; the entries' times count). */
function delivery(at: number): WebhookRequest {
  const conversation = sim.conversations('messenger')[0]!;
  const { body, headers } = sim.messagingDelivery('messenger', conversation.user.id, 'thanks', new Date(at));
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/meta-1',
    path: '/webhooks/meta-1',
    query: {},
    headers,
    rawBody: Buffer.from(body),
  };
}

// Graph's throttling error codes (4, 17, 32, 613) and usage headers stay in meta.integration.test.ts;
// the kit sends a plain 429.
runConnectorContract({
  connector: meta,
  startSimulator: async () => {
    sim = await startSimulator({
      population: generatePopulation({ seed: 'meta-contract', people: 200, employees: 5 }),
    });
    return { ...sim, server: sim.kit, config: { ...sim.config, pageSize: 5 } };
  },
  webhooks: () => ({ nowMs: NOW, good: delivery(NOW - 10_000), stale: delivery(NOW - 48 * 3_600_000) }),
  recorded: [
    {
      stream: 'messenger_conversations',
      items: recorded.data.map((conversation) => ({
        platform: 'messenger',
        scopeId: '104417925581001',
        conversation,
        messages: conversation.messages?.data ?? [],
      })),
    },
  ],
});
