import { readFileSync } from 'node:fs';
import { signStripe } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import stripe from './index.js';
import { startSimulator } from './simulator.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const SECRET = 'whsec_contract';
const customer = JSON.parse(
  readFileSync(new URL('./fixtures/customer-with-crm-id.json', import.meta.url), 'utf8'),
) as { id: string };
const request = (timestampSeconds: number) => {
  const rawBody = Buffer.from(
    JSON.stringify({
      id: 'evt_contract1',
      object: 'event',
      type: 'customer.updated',
      created: timestampSeconds,
      data: { object: customer },
    }),
  );
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/stripe/stripe-1',
    path: '/webhooks/stripe/stripe-1',
    query: {},
    headers: signStripe({ payload: rawBody, secret: SECRET, timestampSeconds }),
    rawBody,
  };
};
const population = generatePopulation({ seed: 'stripe-contract', people: 400, employees: 5 });
let known: string[] = [];

runConnectorContract({
  connector: stripe,
  startSimulator: async () => {
    const sim = await startSimulator({ population, ratePerSecond: 1000 });
    known = sim
      .all('customers')
      .slice(0, 3)
      .map((c) => c.id);
    return { ...sim, credentials: { ...sim.credentials, webhookSecret: SECRET } };
  },
  webhooks: () => ({ nowMs: NOW, good: request(NOW / 1000 - 10), stale: request(NOW / 1000 - 3600) }),
  recorded: [{ stream: 'customers', items: [customer] }],
  fetch: {
    get billing() {
      return { known, unknown: ['cus_doesnotexist00'] };
    },
  },
});
