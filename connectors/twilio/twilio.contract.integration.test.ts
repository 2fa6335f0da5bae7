import { readFileSync } from 'node:fs';
import { signTwilio } from '../../src/connector-kit/index.js';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import twilio from './index.js';
import { startSimulator } from './simulator.js';
import { formParams } from './webhooks.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
// Twilio signs callbacks with the account's auth token, the simulator's own.
let authToken = '';
const URL_CALLED = 'https://hub.example/webhooks/twilio-1';

// Twilio's 429 with error 20429 stays in twilio.integration.test.ts; the kit sends a plain 429.
runConnectorContract({
  connector: twilio,
  startSimulator: async () => {
    const sim = await startSimulator({
      population: generatePopulation({ seed: 'twilio-contract', people: 120, employees: 5 }),
      requestsPerSecond: 1000,
    });
    authToken = sim.credentials.authToken;
    return {
      ...sim,
      server: sim.sim,
      config: { ...sim.config, pageSize: 20 },
    };
  },
  webhooks: () => {
    const rawBody = readFileSync(new URL('./fixtures/status-callback-completed.form', import.meta.url));
    const headers = signTwilio({ authToken, url: URL_CALLED, params: formParams(rawBody) });
    return {
      nowMs: Date.UTC(2026, 0, 1, 12),
      good: { method: 'POST', url: URL_CALLED, path: '/webhooks/twilio-1', query: {}, headers, rawBody },
    };
  },
  notApplicable: {
    staleWebhook: "Twilio's signature covers no timestamp (a replayed callback is the same event id)",
  },
  recorded: [
    {
      stream: 'calls',
      items: [
        fixture('call-inbound-completed.json'),
        fixture('call-inbound-withheld.json'),
        fixture('call-outbound-api-no-answer.json'),
      ],
    },
  ],
});
