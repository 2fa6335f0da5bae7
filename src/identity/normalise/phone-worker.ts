import { workerData, type MessagePort } from 'node:worker_threads';
import type { CountryCode } from 'libphonenumber-js';
import { parsePhone } from './phone.normaliser.js';

/**
 * Worker of PhoneBatch: takes chunks of the raw values from the shared counter, in turn with the
 * thread that started it, and posts each chunk's results back on the port as { start, results }.
 */
const { raws, region, claims, chunk, port } = workerData as {
  raws: string[];
  region: CountryCode;
  claims: Int32Array;
  chunk: number;
  port: MessagePort;
};
for (let start = Atomics.add(claims, 0, chunk); start < raws.length; start = Atomics.add(claims, 0, chunk)) {
  const results = [];
  for (let k = start; k < Math.min(start + chunk, raws.length); k++)
    results.push(parsePhone(raws[k]!, region));
  port.postMessage({ start, results });
}
port.close();
