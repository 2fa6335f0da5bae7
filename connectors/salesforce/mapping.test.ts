import { readFileSync } from 'node:fs';
import { buildSoql, classifySalesforce, parseLimitInfo, soqlDateTime, type SoqlRecord } from './client.js';
import { mapCase, mapContact, mapLead, mapTask } from './mapping.js';
import { parseSoql, salesforceId } from './simulator.js';

const fixture = (name: string): SoqlRecord =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as SoqlRecord;

describe('salesforce mapping', () => {
  it('maps a contact with its id, email, phone and traits', () => {
    const [p] = mapContact(fixture('contact.json')).people!;
    expect(p).toMatchObject({
      objectType: 'contact',
      externalId: '0035g00000AbCdEAAV',
      deleted: false,
      updatedAt: '2026-02-03T09:15:02.000+0000',
    });
    expect(p!.identifiers).toEqual([
      { kind: 'external', namespace: 'salesforce:contact', value: '0035g00000AbCdEAAV' },
      { kind: 'email', value: 'Priya.Shah+crm@gmail.com' },
      { kind: 'phone', value: '020 7946 0958' },
    ]);
    expect(p!.traits).toMatchObject({
      firstName: 'Priya',
      lastName: 'Shah',
      dob: '1990-07-21',
      city: 'London',
      postcode: 'N1 9GU',
      jobTitle: 'Buyer',
    });
  });

  it('maps a converted, deleted lead with a cross-reference to its contact', () => {
    const [p] = mapLead(fixture('lead.json')).people!;
    expect(p).toMatchObject({
      objectType: 'lead',
      deleted: true,
      traits: expect.objectContaining({ company: 'Baker & Sons' }),
    });
    expect(p!.identifiers).toContainEqual({
      kind: 'external',
      namespace: 'salesforce:contact',
      value: '0035g00000AbCdEAAV',
    });
  });

  it('maps a case to a ticket interaction with its conversation and owner', () => {
    const [i] = mapCase(fixture('case.json')).interactions!;
    expect(i).toMatchObject({
      externalId: '5005g00000LmNoPAAV',
      channel: 'email',
      direction: 'inbound',
      kind: 'ticket',
      summary: 'Invoice query',
      person: { objectType: 'contact', externalId: '0035g00000AbCdEAAV' },
      handledBy: {
        system: 'salesforce',
        externalId: '0055g00000OwNeRAAV',
        email: 'sam.jones@touchpoint-demo.co.uk',
      },
      conversation: { externalId: 'case:5005g00000LmNoPAAV', status: 'working' },
    });
  });

  it('maps a call task on a lead', () => {
    const [i] = mapTask(fixture('task-call.json')).interactions!;
    expect(i).toMatchObject({
      channel: 'voice',
      direction: 'inbound',
      kind: 'call',
      person: { objectType: 'lead' },
      attributes: { durationSeconds: 312 },
    });
    expect(i!.handledBy).toEqual({ system: 'salesforce', externalId: '0055g00000OwNeRAAV' });
  });

  it('speaks SOQL datetimes and limit headers', () => {
    expect(soqlDateTime('2026-02-03T09:15:02.000+0000')).toBe('2026-02-03T09:15:02Z');
    expect(buildSoql('Contact', ['Id', 'SystemModstamp'], '2026-02-03T09:15:02Z')).toBe(
      'SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp >= 2026-02-03T09:15:02Z ORDER BY SystemModstamp ASC',
    );
    expect(parseSoql(buildSoql('Contact', ['Id', 'SystemModstamp'], '2026-02-03T09:15:02Z'))).toMatchObject({
      object: 'Contact',
      where: { op: '>=' },
    });
    expect(parseLimitInfo('api-usage=18/5000; per-app-api-usage=17/250(appName=x)')).toEqual({
      used: 18,
      limit: 5000,
    });
    expect(
      classifySalesforce({
        status: 403,
        headers: {},
        data: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'x' }],
      }),
    ).toEqual({ kind: 'rate_limited' });
    expect(
      classifySalesforce({ status: 403, headers: {}, data: [{ errorCode: 'INSUFFICIENT_ACCESS' }] }),
    ).toBeUndefined();
  });

  it('generates 18-character ids with the case-safe suffix', () => {
    const id = salesforceId('003', 1);
    expect(id).toHaveLength(18);
    expect(id.slice(0, 3)).toBe('003');
    // a chunk with no upper-case letter gives 'A'; '00Q5g' has one at position 2, giving 'E'
    expect(id.endsWith('AAA')).toBe(true);
    expect(salesforceId('00Q', 1).slice(15)).toBe('EAA');
  });
});
