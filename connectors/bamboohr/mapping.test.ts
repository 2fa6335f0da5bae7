import { readFileSync } from 'node:fs';
import { classifyBambooHr, type BambooHrEmployee } from './client.js';
import { mapEmployee, xHandleOf } from './mapping.js';
import { parseBambooHrBody } from './webhooks.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

describe('bamboohr mapping', () => {
  it('maps an employee to an employee record and a person record with the HR id as a unique external id', () => {
    const batch = mapEmployee({
      ...fixture<BambooHrEmployee>('employee.json'),
      lastChanged: '2026-02-03T09:15:02+00:00',
    });
    expect(batch.employees).toEqual([
      {
        externalId: '123',
        displayName: 'Ava Nguyen',
        title: 'Engineering Manager',
        department: 'Support',
        managerExternalId: '101',
        workEmails: ['ava.nguyen@touchpoint-demo.co.uk'],
        handles: { x: 'ava_tpd' },
        status: 'active',
        updatedAt: '2026-02-03T09:15:02+00:00',
      },
    ]);
    const person = batch.people![0]!;
    expect(person).toMatchObject({ objectType: 'employee', externalId: '123', deleted: false });
    expect(person.traits).toMatchObject({
      firstName: 'Ava',
      lastName: 'Nguyen',
      dob: '1988-04-12',
      jobTitle: 'Engineering Manager',
    });
    expect(person.identifiers).toEqual([
      { kind: 'external', namespace: 'bamboohr:employee', value: '123' },
      { kind: 'email', value: 'ava.nguyen@touchpoint-demo.co.uk' },
      { kind: 'email', value: 'ava.nguyen@example.net' },
      { kind: 'phone', value: '07700 900123' },
    ]);
    // an X handle is not a stable X user id, so it is a handle on the employee, not a social identifier
    expect(person.identifiers.some((i) => i.kind === 'social')).toBe(false);
  });

  it('maps a deletion to a person tombstone and leaves the employee row alone', () => {
    const batch = mapEmployee({ employeeId: '207', deleted: true, lastChanged: '2026-02-02T17:40:00+00:00' });
    expect(batch.people).toEqual([expect.objectContaining({ externalId: '207', deleted: true })]);
    expect(batch.employees).toBeUndefined();
  });

  it('reads X handles from profile URLs', () => {
    expect(xHandleOf('https://x.com/jo_tpd/')).toBe('jo_tpd');
    expect(xHandleOf('http://www.twitter.com/@Jo_TPD')).toBe('Jo_TPD');
    expect(xHandleOf('@jo')).toBe('jo');
    expect(xHandleOf('https://example.com/jo')).toBeNull();
    expect(xHandleOf(null)).toBeNull();
  });

  it('classifies an HTTP 200 carrying a 429 error body as rate limited, and a normal 200 as not special', () => {
    const quirk = { error: { code: 'TooManyRequests', status: 429, message: 'Rate limit exceeded.' } };
    expect(classifyBambooHr({ status: 200, headers: { 'retry-after': '7' }, data: quirk })).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 7000,
    });
    expect(classifyBambooHr({ status: 200, headers: {}, data: { status: 429 } })).toMatchObject({
      kind: 'rate_limited',
    });
    expect(
      classifyBambooHr({ status: 200, headers: {}, data: fixture('employees-changed.json') }),
    ).toBeUndefined();
  });

  it('parses the documented event webhook payload', () => {
    const raw = readFileSync(new URL('./fixtures/webhook-employee-updated.json', import.meta.url));
    const [event] = parseBambooHrBody(raw);
    expect(event).toMatchObject({
      type: 'employee.updated',
      payload: {
        employeeId: '100',
        action: 'updated',
        changedFields: ['firstName', 'lastName', 'department'],
      },
    });
    expect(event!.id).toMatch(/^bamboohr:[0-9a-f]{32}$/);
  });
});
