import { readFileSync } from 'node:fs';
import { signBambooHr } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import bamboohr from './index.js';
import { startSimulator } from './simulator.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const NOW = Date.UTC(2026, 0, 1, 12);
const SECRET = 'bhr-contract-private-key';
const request = (timestampSeconds: number) => {
  const rawBody = readFileSync(new URL('./fixtures/webhook-employee-updated.json', import.meta.url));
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/bamboohr-1',
    path: '/webhooks/bamboohr-1',
    query: {},
    headers: signBambooHr({ payload: rawBody, secret: SECRET, timestampSeconds }),
    rawBody,
  };
};

// BambooHR's 200-with-429 throttling stays in bamboohr.integration.test.ts; the kit sends a plain 429.
runConnectorContract({
  connector: bamboohr,
  startSimulator: async () => {
    const sim = await startSimulator({
      population: generatePopulation({ seed: 'bamboohr-contract', people: 40, employees: 30 }),
      ratePerSecond: 1000,
    });
    return {
      ...sim,
      config: { ...sim.config, pageSize: 8 },
      credentials: { ...sim.credentials, webhookPrivateKey: SECRET },
    };
  },
  webhooks: () => ({ nowMs: NOW, good: request(NOW / 1000 - 10), stale: request(NOW / 1000 - 3600) }),
  recorded: [
    {
      stream: 'employees',
      items: [{ ...(fixture('employee.json') as object), lastChanged: '2026-02-03T09:15:02Z' }],
    },
  ],
});
