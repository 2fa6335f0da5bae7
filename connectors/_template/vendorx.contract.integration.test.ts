import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import vendorx from './index.js';
import { startVendorxSimulator } from './simulator.js';
import { signVendorx } from './webhooks.js';
import contact from './fixtures/contact.json' with { type: 'json' };

const NOW = Date.UTC(2026, 0, 1, 12);
const webhookRequest = (timestampSeconds: number) => {
  const rawBody = Buffer.from(
    JSON.stringify({ events: [{ id: 'evt_1', type: 'contact.updated', data: contact }] }),
  );
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/vendorx',
    path: '/webhooks/vendorx',
    query: {},
    headers: signVendorx(rawBody, 'vx_whsec', timestampSeconds),
    rawBody,
  };
};

runConnectorContract({
  connector: vendorx,
  startSimulator: () => startVendorxSimulator({ seed: 7 }),
  webhooks: () => ({
    nowMs: NOW,
    good: webhookRequest(NOW / 1000 - 10),
    stale: webhookRequest(NOW / 1000 - 3600),
  }),
  recorded: [{ stream: 'contacts', items: [contact] }],
  fetch: { contacts: { known: ['vx_000001', 'vx_000002', 'vx_000003'], unknown: ['vx_999999'] } },
});
