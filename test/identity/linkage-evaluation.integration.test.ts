import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseFieldMap, readLabelledCsv } from '../../src/identity/evaluate/labelled-csv.js';
import { evaluateLinkage, withScratchDatabase } from '../../src/identity/evaluate/linkage-evaluation.js';

// The labelled data lives outside the repository, in the shared folder beside it.
const CSV = new URL('../../../shared/data/linkage/fake_1000.csv', import.meta.url);

describe('identity evaluation on fake_1000 through the database path', () => {
  it('auto-links reach precision ≥ 0.98 and, with suggestions, recall ≥ 0.90', async () => {
    const records = readLabelledCsv(readFileSync(CSV, 'utf8'), {
      truthColumn: 'cluster',
      idColumn: 'unique_id',
      map: parseFieldMap('first_name=firstName,surname=lastName,dob=dob,city=city,email=email'),
    });
    expect(records).toHaveLength(1000);
    const report = await withScratchDatabase(process.env.TEST_ADMIN_DATABASE_URL!, (ds) =>
      evaluateLinkage(ds, records),
    );
    process.stdout.write(`${JSON.stringify(report)}\n`);
    expect(report.trueClusters).toBe(251);
    expect(report.skipped).toBe(0);
    expect(report.precision).toBeGreaterThanOrEqual(0.98);
    expect(report.recall_with_suggestions).toBeGreaterThanOrEqual(0.9);
    // Suggestions add recall on top of auto-links, not replace them.
    expect(report.recall_with_suggestions).toBeGreaterThan(report.recall);
  }, 300_000);
});
