import { describe, expect, it } from '@jest/globals';
import { parseFieldMap, readLabelledCsv } from './labelled-csv.js';

describe('labelled CSV', () => {
  const map = parseFieldMap('first_name=firstName, email=email, tel=phone');

  it('maps columns to traits and identifiers, skipping empty cells and honouring quotes', () => {
    const csv = 'id,first_name,email,tel,cluster\n7,"Smith, Jo",jo@example.org,,c1\n8,Ann,,07911 123456,c2\n';
    const records = readLabelledCsv(csv, { truthColumn: 'cluster', idColumn: 'id', map });
    expect(records).toEqual([
      {
        truth: 'c1',
        person: {
          objectType: 'row',
          externalId: '7',
          traits: { firstName: 'Smith, Jo' },
          identifiers: [{ kind: 'email', value: 'jo@example.org' }],
        },
      },
      {
        truth: 'c2',
        person: {
          objectType: 'row',
          externalId: '8',
          traits: { firstName: 'Ann' },
          identifiers: [{ kind: 'phone', value: '07911 123456' }],
        },
      },
    ]);
  });

  it('names the problem: unknown field, malformed entry, missing column', () => {
    expect(() => parseFieldMap('first_name=forename')).toThrow('unknown field "forename"');
    expect(() => parseFieldMap('first_name')).toThrow('is not column=field');
    expect(() =>
      readLabelledCsv('first_name,email,tel\nA,a@x.org,\n', { truthColumn: 'cluster', map }),
    ).toThrow('no column "cluster"');
  });
});
