import { parentPort, workerData } from 'node:worker_threads';
import type { CountryCode } from 'libphonenumber-js';
import { normalisePhone } from './phone.normaliser.js';

/** Worker of normalisePhones: normalises the raw values it is given and posts the results back, in order. */
const { raws, region } = workerData as { raws: string[]; region: CountryCode };
parentPort!.postMessage(raws.map((raw) => normalisePhone(raw, region)));
