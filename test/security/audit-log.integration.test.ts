import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import pg from 'pg';
import { appendAudit, appendAuditBatch, auditHash } from '../../src/audit/audit-log.js';
import { createDataSource } from '../../src/db/data-source.js';
import { inTransaction, sqlOf } from '../../src/db/sql.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';
import { registerSecurityCommands } from '../../src/security/security.commands.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;

async function seedAudit(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await inTransaction(db.dataSource, (sql) =>
      appendAudit(sql, {
        actor: `user:${i}`,
        role: 'agent',
        action: 'customer.read',
        details: { fields: ['Trait.value'], i },
      }),
    );
  }
}

/** Runs a security subcommand in-process against the test database; returns stdout, stderr and exit code. */
async function cli(args: string[], url: string): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('touchpoint').exitOverride();
  const result = { out: '', err: '', code: 0 };
  registerSecurityCommands(program, {
    out: (t) => (result.out += t),
    err: (t) => (result.err += t),
    setExitCode: (c) => (result.code = c),
  });
  const saved = { url: process.env.DATABASE_URL, level: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = url;
  process.env.LOG_LEVEL = 'silent';
  try {
    await program.parseAsync(['node', 'touchpoint', ...args]);
  } finally {
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
    if (saved.level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved.level;
  }
  return result;
}

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('append-only audit log', () => {
  it('UPDATE, DELETE and TRUNCATE of audit rows fail, even for the owner of the table', async () => {
    await seedAudit(2);
    await expect(db.dataSource.query(`UPDATE audit_event SET actor = 'someone-else'`)).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(db.dataSource.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only: DELETE/);
    await expect(db.dataSource.query(`TRUNCATE audit_event`)).rejects.toThrow(/append-only: TRUNCATE/);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_event`);
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it('the application role touchpoint_app has no UPDATE or DELETE privilege on audit_event', async () => {
    const empty = await createEmptyDatabase('tpsec');
    const admin = new pg.Client({ connectionString: empty.url });
    await admin.connect();
    await admin.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'touchpoint_app') THEN CREATE ROLE touchpoint_app LOGIN PASSWORD 'app'; END IF; END $$`,
    );
    // Everything the migrations create is granted to the app, as an operator would set it up.
    await admin.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO touchpoint_app`);
    await admin.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO touchpoint_app`);
    await admin.query(`GRANT USAGE ON SCHEMA public TO touchpoint_app`);
    await admin.end();
    const ds = createDataSource({ url: empty.url, poolMax: 2 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await inTransaction(ds, (sql) => appendAudit(sql, { actor: 'x', action: 'test' }));
    await ds.destroy();
    const appUrl = new URL(empty.url);
    appUrl.username = 'touchpoint_app';
    appUrl.password = 'app';
    const app = new pg.Client({ connectionString: appUrl.toString() });
    await app.connect();
    try {
      const privs = await app.query(
        `SELECT has_table_privilege('audit_event', 'INSERT') AS ins, has_table_privilege('audit_event', 'SELECT') AS sel,
                has_table_privilege('audit_event', 'UPDATE') AS upd, has_table_privilege('audit_event', 'DELETE') AS del`,
      );
      expect(privs.rows[0]).toEqual({ ins: true, sel: true, upd: false, del: false });
      await expect(app.query(`UPDATE audit_event SET actor = 'y'`)).rejects.toThrow(/permission denied/);
      await expect(app.query(`DELETE FROM audit_event`)).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
      await empty.drop();
    }
  });
});

describe('touchpoint audit verify', () => {
  it('reports an intact chain, then names the first row altered by a superuser who bypassed the trigger', async () => {
    await seedAudit(5);
    const good = await cli(['audit', 'verify'], db.url);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/audit chain intact: \d+ events verified/);

    const rows: { seq: string }[] = await db.dataSource.query(
      `SELECT seq::text AS seq FROM audit_event ORDER BY seq`,
    );
    const victim = rows[3]!.seq;
    const qr = db.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.query(`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete`);
      await qr.query(`UPDATE audit_event SET actor = 'nobody' WHERE seq = $1`, [victim]);
      await qr.query(`ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete`);
    } finally {
      await qr.release();
    }
    const result = await verifyAuditChain(db.dataSource, 2);
    expect(result.ok).toBe(false);
    expect(result.firstBad?.seq).toBe(victim);
    const bad = await cli(['audit', 'verify'], db.url);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`audit chain broken at seq ${victim}: content does not match its hash`);
  });

  it('names the row after a deleted one', async () => {
    const d = await createTestDatabase();
    try {
      await inTransaction(d.dataSource, async (sql) => {
        for (let i = 0; i < 3; i++) await appendAudit(sql, { actor: 'a', action: 'x', details: { i } });
      });
      const rows: { seq: string }[] = await d.dataSource.query(
        `SELECT seq::text AS seq FROM audit_event ORDER BY seq`,
      );
      await d.dataSource.query(`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete`);
      await d.dataSource.query(`DELETE FROM audit_event WHERE seq = $1`, [rows[1]!.seq]);
      const r = await verifyAuditChain(d.dataSource);
      expect(r).toMatchObject({ ok: false, checked: 1, firstBad: { seq: rows[2]!.seq } });
      expect(r.firstBad!.reason).toMatch(/removed or inserted/);
    } finally {
      await d.drop();
    }
  });
});

describe('audit_append (hashes computed in the database)', () => {
  it('writes rows whose hashes the app recomputes, whatever the content, in both commit modes and from concurrent batches', async () => {
    const d = await createTestDatabase();
    try {
      const awkward = [
        {
          actor: 'user:"quoted"\nline',
          role: null,
          action: 'customer.read',
          customerId: null,
          purpose: null,
          details: {},
        },
        {
          actor: 'ünïcødé ✓',
          role: 'agent',
          action: 'customer.read',
          customerId: '00000000-0000-4000-8000-000000000001',
          purpose: 'a "support" call',
          // Keys and values that look like the cut points of the canonical JSON (a NUL, which the real
          // cut points hold, cannot be stored in jsonb at all).
          details: {
            '\u0001occurredAt\u0001': 'x',
            seq: '"seq":"1"}',
            occurredAt: 'not the real one',
            z: [1, { b: 2, a: null }],
          },
        },
      ];
      const sql = sqlOf(d.dataSource);
      await appendAuditBatch(sql, awkward);
      await appendAuditBatch(sql, awkward, { async: true });
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          appendAuditBatch(sql, [{ actor: `user:${i}`, action: 'customer.read', details: { i } }], {
            async: i % 2 === 0,
          }),
        ),
      );
      const rows: {
        seq: string;
        occurredAt: Date;
        actor: string;
        role: string | null;
        action: string;
        customerId: string | null;
        purpose: string | null;
        details: Record<string, unknown>;
        prevHash: string | null;
        hash: string;
      }[] = await d.dataSource.query(
        `SELECT seq::text AS seq, occurred_at AS "occurredAt", actor, role, action, customer_id AS "customerId", purpose, details, prev_hash AS "prevHash", hash FROM audit_event ORDER BY audit_event.seq`,
      );
      expect(rows).toHaveLength(10);
      expect(rows[1]).toMatchObject({
        actor: 'ünïcødé ✓',
        purpose: 'a "support" call',
        details: awkward[1]!.details,
      });
      let prev: string | null = null;
      for (const r of rows) {
        expect(r.prevHash).toBe(prev);
        expect(r.hash).toBe(auditHash(prev, { ...r, occurredAt: new Date(r.occurredAt).toISOString() }));
        prev = r.hash;
      }
      expect(await verifyAuditChain(d.dataSource)).toEqual({ ok: true, checked: 10 });
    } finally {
      await d.drop();
    }
  });
});

describe('touchpoint keys', () => {
  it('creates a key shown once, lists it without the key, and revokes it', async () => {
    const created = await cli(['keys', 'create', '--role', 'analyst', '--name', 'BI dashboard'], db.url);
    expect(created.code).toBe(0);
    const key = created.out.match(/^(tpk_\S+)$/m)?.[1];
    const id = created.out.match(/created key (\S+)/)?.[1];
    expect(key).toBeDefined();
    const stored = await db.dataSource.query(`SELECT key_hash FROM api_key WHERE id = $1`, [id]);
    expect(stored[0].key_hash).not.toContain(key!.slice(4));
    const listed = await cli(['keys', 'list'], db.url);
    expect(listed.out).toContain(id!);
    expect(listed.out).toContain('analyst');
    expect(listed.out).not.toContain(key!);
    expect((await cli(['keys', 'revoke', id!], db.url)).out).toContain(`revoked key ${id}`);
    const again = await cli(['keys', 'revoke', id!], db.url);
    expect(again.code).toBe(1);
    expect((await cli(['keys', 'list'], db.url)).out).toMatch(/revoked/);
    const bad = await cli(['keys', 'create', '--role', 'root', '--name', 'x'], db.url);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--role must be one of agent, supervisor, analyst, integrator, admin');
  });
});
