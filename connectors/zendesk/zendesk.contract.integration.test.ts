import { readFileSync } from 'node:fs';
import { signZendesk } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import zendesk from './index.js';
import { startSimulator } from './simulator.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const NOW = Date.UTC(2026, 0, 1, 12);
const SECRET = 'zendesk-contract-signing-secret';
const request = (atMs: number) => {
  const rawBody = Buffer.from(
    JSON.stringify({
      id: '01JCONTRACT0000000000000001',
      type: 'zen:event-type:ticket.status_changed',
      subject: 'zen:ticket:35436',
      time: new Date(atMs).toISOString(),
      account_id: 10001,
      detail: { id: '35436', status: 'SOLVED' },
      zendesk_event_version: '2022-11-06',
    }),
  );
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/zendesk-1',
    path: '/webhooks/zendesk-1',
    query: {},
    headers: signZendesk({ payload: rawBody, secret: SECRET, timestamp: new Date(atMs).toISOString() }),
    rawBody,
  };
};

runConnectorContract({
  connector: zendesk,
  startSimulator: async () => {
    const sim = await startSimulator({
      population: generatePopulation({ seed: 'zendesk-contract', people: 120, employees: 10 }),
      incrementalRequestsPerMinute: 10_000,
    });
    return {
      ...sim,
      server: sim.sim,
      config: { ...sim.config, perPage: 25 },
      credentials: { ...sim.credentials, webhookSecret: SECRET },
    };
  },
  webhooks: () => ({ nowMs: NOW, good: request(NOW - 10_000), stale: request(NOW - 3_600_000) }),
  recorded: [
    { stream: 'users', items: [fixture('user-end-user.json')] },
    { stream: 'tickets', items: [fixture('ticket-bundle.json')] },
  ],
});
