import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runConnectorContract } from '../../src/connector-kit/testing/contract-kit.js';
import csv from './index.js';

const MAP = 'Id=externalId,E-mail=email,Mobile=phone,First=firstName,Last=lastName';
const ROWS = [
  'Id,E-mail,Mobile,First,Last',
  ...Array.from(
    { length: 11 },
    (_, i) => `c${i + 1},person${i + 1}@example.com,07911 1234${String(i).padStart(2, '0')},P${i + 1},Lee`,
  ),
  'c12,short-row@example.com,Dee', // a wrong number of values: mapped as a dead letter, not a failure
].join('\n');

// The "vendor" is a local file: the kit's paging and resume cases run on it, its HTTP cases cannot.
runConnectorContract({
  connector: csv,
  startSimulator: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-csv-contract-'));
    const file = path.join(dir, 'contacts.csv');
    fs.writeFileSync(file, ROWS);
    return {
      config: { path: file, map: MAP, pageSize: 4 },
      close: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  },
  notApplicable: { http: 'no HTTP: the CSV connector reads a local file' },
  recorded: [
    {
      stream: 'rows',
      items: [
        {
          row: 2,
          values: {
            Id: 'c1',
            'E-mail': 'ann@example.com',
            Mobile: '07911 123456',
            First: 'Ann',
            Last: 'Lee',
          },
        },
      ],
    },
  ],
});
