import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/log/logger.js';
import { runKillDurability } from '../../src/webhooks/testing/kill-durability.run.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// A real worker process (dist/, built by `npm test`'s pretest) is SIGKILLed while it applies
// 1,000 acknowledged webhooks, then restarted; bench/webhook-durability.bench.ts runs 10,000.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe('inbox durability', () => {
  it('applies every acknowledged webhook exactly once across a SIGKILL of the worker', async () => {
    const r = await runKillDurability({
      ds: db.dataSource,
      databaseUrl: db.url,
      log: createLogger('silent'),
      events: 1000,
      timeoutMs: 90000,
    });
    expect(r.killSignal).toBe('SIGKILL');
    // The kill really happened mid-run.
    expect(r.appliedAtKill).toBeGreaterThan(0);
    expect(r.appliedAtKill).toBeLessThan(r.acknowledged);
    expect(r.acknowledged).toBe(1000);
    expect(r.inboxRows).toBe(r.acknowledged);
    expect(r.applied).toBe(r.acknowledged);
    expect(r.notApplied).toBe(0);
    expect(r.interactions).toBe(r.acknowledged);
    expect(r.appliedTwice).toBe(0);
  }, 120000);
});
