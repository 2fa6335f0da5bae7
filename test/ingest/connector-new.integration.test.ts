import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { scaffoldConnector, ScaffoldError } from '../../src/cli/commands/connector-new.js';

const connectorsDir = path.resolve('connectors');
const id = `zzscaffold${[...crypto.randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
const dir = path.join(connectorsDir, id);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function runJest(target: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Reuse this suite's Postgres rather than starting a second embedded one.
    const env = { ...process.env, DATABASE_URL: process.env.TEST_ADMIN_DATABASE_URL ?? '' };
    const child = spawn(
      process.execPath,
      ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand', target],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run connector:new', () => {
  it('creates a connector that passes the contract kit unchanged', async () => {
    const { files } = scaffoldConnector({ id, connectorsDir });
    expect(files).toEqual([
      'README.md',
      'client.ts',
      'fixtures/contact.json',
      'index.ts',
      'mapping.ts',
      'simulator.ts',
      'webhooks.ts',
      `${id}.contract.integration.test.ts`,
    ]);
    const index = fs.readFileSync(path.join(dir, 'index.ts'), 'utf8');
    expect(index).toContain(`id: '${id}'`);
    expect(fs.readdirSync(dir).join(' ') + index).not.toMatch(/vendorx/i);
    const { code, output } = await runJest(`connectors/${id}/`);
    // every kit case passes; only the token-endpoint case is skipped (the template uses a bearer token)
    expect(output).toMatch(/Tests:\s+1 skipped, 13 passed, 14 total/);
    expect(code).toBe(0);
  }, 120_000);

  it('refuses a bad id and an existing folder with one line', () => {
    expect(() => scaffoldConnector({ id: 'Bad-Id', connectorsDir })).toThrow(
      new ScaffoldError(
        'connector id "Bad-Id" must be 2 to 31 lower-case letters and digits, starting with a letter (like "zendesk")',
      ),
    );
    expect(() => scaffoldConnector({ id: 'csv', connectorsDir })).toThrow(
      /^connectors\/csv already exists: choose another id or remove it$/,
    );
  });
});
