import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// normalisePhones hands half of a big import's phones to a worker thread, but only when the
// compiled worker sits next to the module: a test run from the TypeScript sources parses them all
// in-process. This runs the BUILT module (dist/, built by `npm test` first) in a plain Node
// process, so the worker thread really starts. From 20,000 values (WORKER_FROM) the worker always
// takes half: a worker that fails rejects the call, and one that answers out of order gives
// answers that differ from normalisePhone's one by one.
const MODULE = path.resolve('dist/src/identity/normalise/phone.normaliser.js');

const SCRIPT = `
const { normalisePhones, normalisePhone } = await import(process.env.PHONE_NORMALISER_MODULE);
const raws = [];
for (let k = 0; k < 30000; k++) {
  const n = String(k).padStart(6, '0');
  raws.push(k % 5 === 0 ? '07700 9' + n.slice(1) : k % 5 === 1 ? '+44 20 79' + n : k % 5 === 2 ? '0044 161 49' + n.slice(1) : k % 5 === 3 ? '12' + n : '+1 415 55' + n.slice(1));
}
const all = await normalisePhones(raws, 'GB');
let same = 0, valid = 0, invalid = 0;
for (const raw of raws) {
  const got = all.get('GB|' + raw);
  const want = normalisePhone(raw, 'GB');
  if (JSON.stringify(got) === JSON.stringify(want)) same++;
  if (got && got.ok) valid++; else invalid++;
}
process.stdout.write(JSON.stringify({ distinct: new Set(raws).size, size: all.size, same, valid, invalid }));
`;

function runBuilt(): Promise<{ stdout: string; stderr: string }> {
  // A script file, not `-e`: the worker thread inherits the parent's execArgv, and `--input-type`
  // is refused for a worker's file.
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phone-worker-')), 'run.mjs');
  fs.writeFileSync(script, SCRIPT);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script],
      {
        timeout: 60000,
        env: { PATH: process.env.PATH ?? '', PHONE_NORMALISER_MODULE: pathToFileURL(MODULE).href },
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe('normalisePhones with its worker thread (built module)', () => {
  it('parses a big batch across two threads with the same answers as one by one', async () => {
    expect(fs.existsSync(MODULE.replace('phone.normaliser.js', 'phone-worker.js'))).toBe(true);
    const { stdout } = await runBuilt();
    const r = JSON.parse(stdout) as {
      distinct: number;
      size: number;
      same: number;
      valid: number;
      invalid: number;
    };
    expect(r.distinct).toBe(30000);
    expect(r.size).toBe(30000);
    expect(r.same).toBe(30000);
    // Both valid and invalid numbers crossed the thread boundary (12xxxxxx is no number).
    expect(r.valid).toBeGreaterThan(5000);
    expect(r.invalid).toBeGreaterThan(5000);
  });
});
