import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

describe('runConnectorContract', () => {
  it('fails a connector for each contract breach (ignored cursor, any signature accepted, batch-get order and missing keys)', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tp-kit-')), 'result.json');
    const env = { ...process.env, DATABASE_URL: process.env.TEST_ADMIN_DATABASE_URL ?? '' };
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--experimental-vm-modules',
          'node_modules/jest/bin/jest.js',
          '--runInBand',
          '--json',
          `--outputFile=${out}`,
          '--testMatch',
          '**/test/ingest/fixtures/broken-connector.contract-fixture.ts',
        ],
        { env, stdio: 'ignore' },
      );
      child.on('error', reject);
      child.on('close', resolve);
    });
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      testResults: { assertionResults: { title: string; status: string }[] }[];
    };
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    const failed = result.testResults
      .flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.title))
      .sort();
    expect(failed).toEqual([
      'batch-get contacts: values in key order, one Error per unknown key',
      'pages to the end with cursors that survive JSON (as saved), mapping every object',
      'refuses a tampered body',
      'resumes from a saved cursor with exactly the objects after it',
    ]);
    expect(code).toBe(1);
  }, 120_000);
});
