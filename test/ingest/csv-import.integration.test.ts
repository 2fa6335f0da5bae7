import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Command } from 'commander';
import csv from '../../connectors/csv/index.js';
import { loadConfig } from '../../src/config/config.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { ImportFileError, importCsv } from '../../src/ingest/csv-import.js';
import { registerIngestCommands } from '../../src/ingest/ingest.commands.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let apply: ApplyService;
let dir: string;
const log = createLogger('silent');
const MAP = 'Id=externalId,E-mail=email,Mobile=phone,First=firstName,Last=lastName';

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
const records = (system: string) =>
  db.dataSource
    .query(`SELECT external_id FROM source_record WHERE system = $1 ORDER BY external_id`, [system])
    .then((r: { external_id: string }[]) => r.map((x) => x.external_id));

beforeAll(async () => {
  db = await createTestDatabase();
  apply = new ApplyService(db.dataSource, new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }), log);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-csv-'));
});
afterAll(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const GOOD_AND_BAD = [
  'Id,E-mail,Mobile,First,Last',
  'c1,ann@example.com,07911 123456,Ann,Lee',
  'c2,not-an-email,07911 123457,Bob,Roe',
  'c3,cy@example.com,12ab,Cy,Poe',
  'c1,ann@example.com,07911 123456,Ann,Lee',
  'c4,dee@example.com,Dee',
  ',,,Eve,Nobody',
  'c5,"eve@example.com",,Eve,Moss',
].join('\n');

describe('touchpoint import (CSV)', () => {
  it('applies the valid rows and reports one line per problem with its row and column', async () => {
    const file = write('contacts.csv', GOOD_AND_BAD);
    const report = await importCsv({ apply, system: 'legacy', file, map: MAP });
    expect(report.problems).toEqual([
      expect.stringMatching(/^row 3, column "E-mail": .*not-an-email/),
      expect.stringMatching(/^row 4, column "Mobile": .*12ab/),
      'row 5: duplicate of row 2 (same externalId "c1")',
      'row 6: has 3 values, the header has 5 columns',
      'row 7: no value in any identifying column ("Id", "E-mail", "Mobile")',
    ]);
    expect(report).toMatchObject({ rows: 7, applied: 2, rejected: 5 });
    expect(await records('legacy')).toEqual(['c1', 'c5']);
    // Nothing half-applied: the valid e-mail of row 4 (bad phone) was not written either.
    expect(await db.dataSource.query(`SELECT 1 FROM identifier WHERE value = 'cy@example.com'`)).toHaveLength(
      0,
    );
    // Importing again adds nothing new.
    await importCsv({ apply, system: 'legacy', file, map: MAP });
    expect(await records('legacy')).toEqual(['c1', 'c5']);
  });

  it('refuses the whole file for a missing mapped column, an empty file or a header without rows', async () => {
    const missing = write('missing.csv', 'Id,Email\nx1,x@example.com\n');
    await expect(importCsv({ apply, system: 'm', file: missing, map: MAP })).rejects.toThrow(
      new ImportFileError(
        'missing.csv: column "E-mail" (mapped to email) is not in the header row (columns: Id, Email); column "Mobile" (mapped to phone) is not in the header row (columns: Id, Email); column "First" (mapped to firstName) is not in the header row (columns: Id, Email); column "Last" (mapped to lastName) is not in the header row (columns: Id, Email)',
      ),
    );
    expect(await records('m')).toEqual([]);
    await expect(importCsv({ apply, system: 'm', file: write('empty.csv', '\n'), map: MAP })).rejects.toThrow(
      'empty.csv is empty: expected a header row and at least one data row',
    );
    await expect(
      importCsv({ apply, system: 'm', file: write('head.csv', 'Id,E-mail,Mobile,First,Last\n'), map: MAP }),
    ).rejects.toThrow('head.csv has a header row but no data rows');
    await expect(
      importCsv({ apply, system: 'm', file: path.join(dir, 'nope.csv'), map: MAP }),
    ).rejects.toThrow(`cannot read ${path.join(dir, 'nope.csv')} (no such file)`);
    await expect(importCsv({ apply, system: 'm', file: missing, map: 'Id=identifier' })).rejects.toThrow(
      /^--map entry "Id=identifier": field "identifier" is not one of/,
    );
  });

  it('prints the problems and a summary, and exits 1 when rows were rejected (CLI)', async () => {
    const file = write('cli.csv', GOOD_AND_BAD);
    const out: string[] = [];
    const err: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    const program = new Command('touchpoint').exitOverride();
    registerIngestCommands(program, {
      registry: { csv },
      config: () => loadConfig({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' } }),
    });
    try {
      await program.parseAsync(['node', 'touchpoint', 'import', file, '--system', 'cli', '--map', MAP]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(out.join('')).toBe('imported 2 of 7 row(s) into cli, 5 rejected\n');
    expect(err.join('').trim().split('\n')).toHaveLength(5);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });

  it('the csv connector streams the same file through the sync runner; bad rows are dead-lettered', async () => {
    const file = write('stream.csv', GOOD_AND_BAD);
    const [instance] = parseInstances(
      [{ id: 'legacy-stream', connector: 'csv', config: { path: file, map: MAP, pageSize: 3 } }],
      { csv },
    );
    const rt = createInstanceRuntime(instance!, { ds: db.dataSource, log });
    const [r] = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(r).toMatchObject({ status: 'succeeded', pages: 3, deadLettered: 2 });
    // The stream applies duplicate rows idempotently and keeps records with a malformed identifier (the problem is logged).
    expect(await records('legacy-stream')).toEqual(['c1', 'c2', 'c3', 'c5']);
    fs.appendFileSync(file, '\nc6,fay@example.com,,Fay,Wu');
    const [again] = await runSync({ ds: db.dataSource, apply, instance: instance!, ctx: rt.ctx });
    expect(again).toMatchObject({ status: 'succeeded', pages: 1, records: 1 });
    expect(await records('legacy-stream')).toEqual(['c1', 'c2', 'c3', 'c5', 'c6']);
    rt.close();
  });
});
