import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { bulkResolve } from '../../src/identity/bulk/bulk-resolve.js';
import { generateRecords } from '../../src/identity/bulk/generate-records.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runBuiltScript } from '../support/built-script.js';
import { identityContents } from '../support/identity-contents.js';

// An initial load's candidates are searched by a worker thread ahead of the resolve loop, but
// only when the compiled worker sits next to the module: a test run from the TypeScript sources
// has none. This runs the BUILT bulk import (dist/, built by `npm test` first) in a plain Node
// process, so the worker thread really starts and its lists really cross the thread boundary,
// and compares what it stored with what the loop's own search stores.
const DIST = path.resolve('dist/src');
const RECORDS = 25_000;

const SCRIPT = `
const dist = process.env.DIST_URL;
const { createDataSource } = await import(dist + '/db/data-source.js');
const { bulkResolve } = await import(dist + '/identity/bulk/bulk-resolve.js');
const { generateRecords } = await import(dist + '/identity/bulk/generate-records.js');
const ds = createDataSource({ url: process.env.DB_URL, poolMax: 2, applicationName: 'candidate-worker-test' });
await ds.initialize();
const report = await bulkResolve(ds, generateRecords(Number(process.env.RECORDS), 3), { candidateSearch: 'worker' });
await ds.destroy();
process.stdout.write(JSON.stringify({ inserted: report.inserted, listed: report.candidatesListed, indexesRebuilt: report.indexesRebuilt }));
`;

function runBuilt(url: string): Promise<string> {
  return runBuiltScript(
    SCRIPT,
    { DIST_URL: pathToFileURL(DIST).href, DB_URL: url, RECORDS: String(RECORDS), LOG_LEVEL: 'warn' },
    120_000,
  );
}

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

describe('CandidateLists with its worker thread (built module)', () => {
  it('stores what the resolve loop stores searching every record itself', async () => {
    expect(fs.existsSync(path.join(DIST, 'identity/bulk/candidate-worker.js'))).toBe(true);
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    dbs.push(a, b);
    const worker = JSON.parse(await runBuilt(a.url)) as {
      inserted: number;
      listed: number;
      indexesRebuilt: number;
    };
    const loop = await bulkResolve(b.dataSource, generateRecords(RECORDS, 3), { candidateSearch: 'loop' });
    expect(worker.inserted).toBe(RECORDS);
    expect(worker.indexesRebuilt).toBeGreaterThan(10);
    // The worker starts while the loop's first records are searched by the loop itself, then
    // stays ahead of it.
    expect(worker.listed).toBeGreaterThan(0);
    expect(loop.candidatesListed).toBe(0);
    const [ca, cb] = [await identityContents(a), await identityContents(b)];
    expect(ca.customers.length).toBeGreaterThan(RECORDS / 2);
    expect(ca.suggestions.length).toBeGreaterThan(1000);
    // Whole tables compared as one: a diff of 100,000 rows would be unreadable anyway.
    for (const table of Object.keys(ca) as (keyof typeof ca)[]) {
      expect({ table, rows: ca[table].length }).toEqual({ table, rows: cb[table].length });
      expect(ca[table].join('\n') === cb[table].join('\n')).toBe(true);
    }
  }, 300_000);
});
