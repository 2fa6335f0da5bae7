import { IdentityResolver } from '../../src/identity/identity-resolver.service.js';
import { ApplyService } from '../../src/ingest/apply.service.js';
import { createInstanceRuntime, parseInstances } from '../../src/ingest/instances.js';
import { runSync } from '../../src/ingest/sync-runner.js';
import { instanceForSimulator } from '../simulators.js';
import { createLogger } from '../../src/log/logger.js';
import { generatePopulation } from '../../src/simulator-kit/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import salesforce from '../salesforce/index.js';
import { startSimulator as startSalesforce, type SalesforceSimulator } from '../salesforce/simulator.js';
import bamboohr from './index.js';
import { startSimulator, type BambooHrSimulator } from './simulator.js';

let db: TestDatabase;
let sim: BambooHrSimulator;
let sf: SalesforceSimulator;
const log = createLogger('silent');
const population = generatePopulation({ seed: 'bamboohr-e2e', people: 200, employees: 40 });

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ population });
  sf = await startSalesforce({ population });
});
afterAll(async () => {
  await sim.close();
  await sf.close();
  await db.drop();
});

function instanceOf(
  id: string,
  connector: 'bamboohr' | 'salesforce',
  s: { url: string; config: Record<string, unknown>; credentials: Record<string, string> },
) {
  const { entry, env } = instanceForSimulator(id, connector, s);
  const [instance] = parseInstances([entry], { bamboohr, salesforce }, { env });
  return instance!;
}

test('BambooHR syncs into the hub as employees and person records, resumes with only changes, and staff who are customers resolve with their CRM record', async () => {
  const apply = new ApplyService(
    db.dataSource,
    new IdentityResolver(db.dataSource, { defaultRegion: 'GB' }),
    log,
  );
  const hr = instanceOf('bamboohr-1', 'bamboohr', sim);
  const rt = createInstanceRuntime(hr, { ds: db.dataSource, log });
  const crm = instanceOf('salesforce-1', 'salesforce', sf);
  const crmRt = createInstanceRuntime(crm, { ds: db.dataSource, log });
  try {
    const results = await runSync({ ds: db.dataSource, apply, instance: hr, ctx: rt.ctx });
    expect(results.map((r) => [r.stream, r.status, r.deadLettered])).toEqual([['employees', 'succeeded', 0]]);
    const employees = (await db.dataSource.query(
      `SELECT external_id, display_name, title, department, manager_external_id, work_emails, status FROM employee WHERE system = 'bamboohr-1'`,
    )) as {
      external_id: string;
      display_name: string;
      title: string;
      department: string;
      manager_external_id: string | null;
      work_emails: string[];
    }[];
    const expected = sim.store.list();
    expect(employees.map((e) => e.external_id).sort()).toEqual(expected.map((e) => e.id).sort());
    for (const row of expected) {
      const e = employees.find((x) => x.external_id === row.id)!;
      expect(e).toMatchObject({
        display_name: `${row.firstName} ${row.lastName}`,
        title: row.jobTitleName,
        department: row.departmentName,
        manager_external_id: row.reportsToId,
        work_emails: [row.workEmail.toLowerCase()],
      });
    }
    const records = (await db.dataSource.query(
      `SELECT external_id FROM source_record WHERE system = 'bamboohr-1' AND object_type = 'employee' AND NOT deleted`,
    )) as { external_id: string }[];
    expect(records.map((r) => r.external_id).sort()).toEqual(expected.map((e) => e.id).sort());

    // incremental: exactly one change comes through
    const target = expected[5]!;
    sim.store.update(target.id, { jobTitleName: 'Team Lead' });
    const again = await runSync({ ds: db.dataSource, apply, instance: hr, ctx: rt.ctx });
    expect(again.map((r) => r.records)).toEqual([1]);
    const [changed] = (await db.dataSource.query(
      `SELECT title FROM employee WHERE system = 'bamboohr-1' AND external_id = $1`,
      [target.id],
    )) as { title: string }[];
    expect(changed?.title).toBe('Team Lead');

    // staff who are also customers: their HR record joins the customer their CRM contact or lead belongs to
    const crmResults = await runSync({
      ds: db.dataSource,
      apply,
      instance: crm,
      ctx: crmRt.ctx,
      stream: 'contacts',
    });
    expect(crmResults[0]?.status).toBe('succeeded');
    await runSync({ ds: db.dataSource, apply, instance: crm, ctx: crmRt.ctx, stream: 'leads' });
    const staffCustomers = population.people.filter(
      (p) => p.employeeId && p.systems.includes('crm') && p.copies.crm?.email === p.copies.hr?.email,
    );
    expect(staffCustomers.length).toBeGreaterThan(0);
    for (const p of staffCustomers) {
      const rows = (await db.dataSource.query(
        `SELECT system, customer_id FROM source_record
          WHERE (system = 'bamboohr-1' AND external_id = $1)
             OR (system = 'salesforce-1' AND payload->>'Email' = $2)`,
        [p.employeeId, p.copies.crm!.email],
      )) as { system: string; customer_id: string }[];
      expect(rows.map((r) => r.system).sort()).toEqual(['bamboohr-1', 'salesforce-1']);
      expect(new Set(rows.map((r) => r.customer_id)).size).toBe(1);
    }
  } finally {
    rt.close();
    crmRt.close();
  }
});
