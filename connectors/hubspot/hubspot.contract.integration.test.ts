import { readFileSync } from 'node:fs';
import { signHubSpot } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import hubspot from './index.js';
import { startSimulator } from './simulator.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const NOW = Date.UTC(2026, 0, 1, 12);
const SECRET = 'contract-secret';
const url = 'https://hub.example/webhooks/hubspot/hubspot-1';
const request = (timestampMs: number) => {
  const rawBody = Buffer.from(JSON.stringify(fixture('webhook-events.json')));
  return {
    method: 'POST',
    url,
    path: '/webhooks/hubspot/hubspot-1',
    query: {},
    headers: signHubSpot({ payload: rawBody, secret: SECRET, method: 'POST', uri: url, timestampMs }),
    rawBody,
  };
};

runConnectorContract({
  connector: hubspot,
  startSimulator: async () => {
    const sim = await startSimulator({
      population: generatePopulation({ seed: 'hubspot-contract', people: 120, employees: 5 }),
      searchResultCap: 50,
      rateLimit: { max: 1000, intervalMs: 200 },
    });
    return { ...sim, credentials: { ...sim.credentials, clientSecret: SECRET } };
  },
  webhooks: () => ({ nowMs: NOW, good: request(NOW - 10_000), stale: request(NOW - 10 * 60_000) }),
  recorded: [
    { stream: 'contacts', items: [fixture('contact.json')] },
    { stream: 'calls', items: [fixture('call.json')] },
    { stream: 'tickets', items: [fixture('ticket.json')] },
  ],
});
