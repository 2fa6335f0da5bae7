import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyField, copyIn, copyWriter } from '../../src/db/copy.js';
import { inTransaction } from '../../src/db/sql.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// The bulk import streams every table through COPY: rows are encoded into ~1 MB buffers as they
// come. A row lost or cut at a buffer edge would be a lost record.
describe('COPY streaming', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`CREATE TABLE copy_probe (n int PRIMARY KEY, v text)`);
  });
  afterAll(async () => db?.drop());

  // Short ASCII rows, multi-byte rows, rows with COPY escapes, a null, and rows longer than a
  // whole buffer: buffer edges are crossed many times.
  const value = (n: number): string | null =>
    n % 997 === 0
      ? null
      : n % 5000 === 1
        ? `${'é✓'.repeat(200_000)}${n}`
        : n % 7 === 0
          ? `Zoë\t"Ōsaka"\\line\nnext ${n}`
          : `row-${n}-${'x'.repeat(n % 40)}`;
  const rows = (from: number, to: number) =>
    (function* () {
      for (let n = from; n < to; n++) yield `${n}\t${copyField(value(n))}\n`;
    })();

  const stored = async () =>
    (await db.dataSource.query(`SELECT n, v FROM copy_probe ORDER BY n`)) as {
      n: number;
      v: string | null;
    }[];

  it('copyIn stores every row exactly as given', async () => {
    await db.dataSource.query(`TRUNCATE copy_probe`);
    await inTransaction(db.dataSource, (sql) => copyIn(sql, 'copy_probe', ['n', 'v'], rows(0, 30_000)));
    const got = await stored();
    expect(got).toHaveLength(30_000);
    const wrong = got.filter((r, k) => r.n !== k || r.v !== value(k));
    expect(wrong.map((r) => r.n)).toEqual([]);
  });

  it('a copyWriter fed in batches stores every row in order of the batches', async () => {
    await db.dataSource.query(`TRUNCATE copy_probe`);
    await inTransaction(db.dataSource, async (sql) => {
      const w = copyWriter(sql, 'copy_probe', ['n', 'v']);
      for (let from = 0; from < 20_000; from += 3_001)
        await w.write(rows(from, Math.min(from + 3_001, 20_000)));
      await w.end();
    });
    const got = await stored();
    expect(got).toHaveLength(20_000);
    expect(got.filter((r, k) => r.n !== k || r.v !== value(k)).map((r) => r.n)).toEqual([]);
  });

  it('rows that fail to compute cancel the COPY of a copyWriter: nothing is stored', async () => {
    await db.dataSource.query(`TRUNCATE copy_probe`);
    await expect(
      inTransaction(db.dataSource, async (sql) => {
        const w = copyWriter(sql, 'copy_probe', ['n', 'v']);
        await w.write(rows(0, 100));
        await w.write(
          (function* () {
            yield* rows(100, 200);
            throw new Error('golden record of row 200 failed');
          })(),
        );
        await w.end();
      }),
    ).rejects.toThrow('golden record of row 200 failed');
    expect(await stored()).toEqual([]);
    // The pool's connections still work after the cancelled COPY.
    await inTransaction(db.dataSource, (sql) => copyIn(sql, 'copy_probe', ['n', 'v'], rows(0, 3)));
    expect(await stored()).toHaveLength(3);
  });

  it('an empty input stores nothing and a bad row fails the whole COPY', async () => {
    await db.dataSource.query(`TRUNCATE copy_probe`);
    await inTransaction(db.dataSource, (sql) => copyIn(sql, 'copy_probe', ['n', 'v'], []));
    expect(await stored()).toEqual([]);
    await expect(
      inTransaction(db.dataSource, (sql) =>
        copyIn(sql, 'copy_probe', ['n', 'v'], ['1\tok\n', 'not-a-number\tbad\n']),
      ),
    ).rejects.toThrow(/invalid input syntax for type integer/);
    expect(await stored()).toEqual([]);
  });
});
