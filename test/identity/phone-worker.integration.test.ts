import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { runBuiltScript } from '../support/built-script.js';

// PhoneBatch shares a big import's phones with a worker thread,
// but only when the compiled worker sits next to the module: a test run from the TypeScript
// sources parses them all in-process. This runs the BUILT module (dist/, built by `npm test`
// first) in a plain Node process, so the worker thread really starts. From 20,000 values
// (WORKER_FROM) the two threads take chunks in turn: a worker that fails rejects close(), and one
// that answers for the wrong chunk gives answers that differ from normalisePhone's one by one.
const MODULE = path.resolve('dist/src/identity/normalise/phone.normaliser.js');

const SCRIPT = `
const { normalisePhone, PhoneBatch } = await import(process.env.PHONE_NORMALISER_MODULE);
const raws = [];
for (let k = 0; k < 30000; k++) {
  const n = String(k).padStart(6, '0');
  raws.push(k % 5 === 0 ? '07700 9' + n.slice(1) : k % 5 === 1 ? '+44 20 79' + n : k % 5 === 2 ? '0044 161 49' + n.slice(1) : k % 5 === 3 ? '12' + n : '+1 415 55' + n.slice(1));
}
// All at once first.
const whole = new PhoneBatch(raws, 'GB');
whole.upTo(raws.length);
await whole.close();
const all = whole.results;
let same = 0, valid = 0, invalid = 0;
for (const raw of raws) {
  const got = all.get('GB|' + raw);
  const want = normalisePhone(raw, 'GB');
  if (JSON.stringify(got) === JSON.stringify(want)) same++;
  if (got && got.ok) valid++; else invalid++;
}
// Asked for a little more at a time, as the bulk import asks record by record, the worker
// parsing ahead: every step has at least what it asked for, in order, with the same answers.
const batch = new PhoneBatch(raws, 'GB');
let steps = 0, short = 0, outOfOrder = 0, stepSame = 0;
for (let k = 0; k <= raws.length; k += 1234) {
  batch.upTo(k);
  steps++;
  if (batch.done < k || batch.results.size !== batch.done) short++;
  let n = 0;
  for (const key of batch.results.keys()) if (key !== 'GB|' + raws[n++]) outOfOrder++;
}
batch.upTo(raws.length);
await batch.close();
for (const raw of raws) if (JSON.stringify(batch.results.get('GB|' + raw)) === JSON.stringify(normalisePhone(raw, 'GB'))) stepSame++;
process.stdout.write(JSON.stringify({ distinct: new Set(raws).size, size: all.size, same, valid, invalid, steps, short, outOfOrder, stepSame, workerChunks: batch.workerChunks }));
`;

function runBuilt(): Promise<string> {
  return runBuiltScript(SCRIPT, { PHONE_NORMALISER_MODULE: pathToFileURL(MODULE).href }, 60000);
}

describe('PhoneBatch with its worker thread (built module)', () => {
  it('parses a big batch across two threads with the same answers as one by one', async () => {
    expect(fs.existsSync(MODULE.replace('phone.normaliser.js', 'phone-worker.js'))).toBe(true);
    const stdout = await runBuilt();
    const r = JSON.parse(stdout) as {
      distinct: number;
      size: number;
      same: number;
      valid: number;
      invalid: number;
      steps: number;
      short: number;
      outOfOrder: number;
      stepSame: number;
      workerChunks: number;
    };
    expect(r.distinct).toBe(30000);
    expect(r.size).toBe(30000);
    expect(r.same).toBe(30000);
    // Both valid and invalid numbers crossed the thread boundary (12xxxxxx is no number).
    expect(r.valid).toBeGreaterThan(5000);
    expect(r.invalid).toBeGreaterThan(5000);
    expect(r.steps).toBe(25);
    expect(r.short).toBe(0);
    expect(r.outOfOrder).toBe(0);
    expect(r.stepSame).toBe(30000);
    // 15 chunks of 2,000: the worker, started while this thread parses the first, sends some back.
    expect(r.workerChunks).toBeGreaterThan(0);
  });
});
