import { readFileSync } from 'node:fs';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import salesforce from './index.js';
import { startSimulator } from './simulator.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

// Salesforce's 403 REQUEST_LIMIT_EXCEEDED and session expiry stay in salesforce.integration.test.ts;
// the kit sends a plain 429. The connector takes no webhooks (the kit reports that case as skipped).
runConnectorContract({
  connector: salesforce,
  startSimulator: async () => {
    const sim = await startSimulator({
      population: generatePopulation({ seed: 'salesforce-contract', people: 120, employees: 20 }),
      minBatchSize: 1,
    });
    return { ...sim, config: { ...sim.config, batchSize: 25 } };
  },
  recorded: [
    { stream: 'contacts', items: [fixture('contact.json')] },
    { stream: 'leads', items: [fixture('lead.json')] },
    { stream: 'cases', items: [fixture('case.json')] },
    { stream: 'tasks', items: [fixture('task-call.json')] },
  ],
});
