/**
 * A worker process for the durability test and bench: the echo instance and the recording apply
 * path, on DATABASE_URL. Runs until killed. Env: DATABASE_URL, ECHO_INSTANCE, ECHO_SECRET,
 * WORKER_CONCURRENCY, WORKER_BATCH_SIZE, APPLY_DELAY_MS (a pause per event so a kill lands mid-batch).
 */
import { createDataSource } from '../db/data-source.js';
import { createLogger } from '../log/logger.js';
import { echoInstance } from '../webhooks/testing/echo.connector.js';
import { recordingApply } from '../webhooks/testing/recording.applier.js';
import { instanceLookupOf } from '../webhooks/webhook-instance.js';
import { startInboxWorker } from './inbox.worker.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const log = createLogger('warn');
const ds = createDataSource({ url, poolMax: 4, applicationName: 'touchpoint-inbox-child' });
await ds.initialize();
const delay = Number(process.env.APPLY_DELAY_MS ?? 0);
const base = recordingApply();
const worker = startInboxWorker({
  ds,
  log,
  instances: instanceLookupOf([
    echoInstance(process.env.ECHO_INSTANCE ?? 'echo-1', process.env.ECHO_SECRET ?? 'secret', log),
  ]),
  apply: async (sql, system, batch) => {
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return base(sql, system, batch);
  },
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 1),
  batchSize: Number(process.env.WORKER_BATCH_SIZE ?? 50),
  pollIntervalMs: 50,
  listenUrl: url,
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker
    .stop()
    .then(() => ds.destroy())
    .then(() => process.exit(0));
});
