import type { CanonicalBatch } from '../connector-kit/canonical.js';
import type { Database } from '../db/database.js';
import type { Sql } from '../db/sql.js';
import type { ApplyOutcome, ApplyService } from '../ingest/apply.service.js';
import type { ConnectorInstance } from '../ingest/instances.js';
import type { Logger } from '../log/logger.js';
import { webhookInstancesFrom } from '../webhooks/ingest-instances.adapter.js';
import {
  startInboxWorker,
  type InboxApply,
  type InboxWorker,
  type InboxWorkerOptions,
} from './inbox.worker.js';

/**
 * The inbox worker's apply on the shared ApplyService, inside the worker's transaction. An event
 * whose people were all skipped (erased: suppressed; or an older version) and that wrote nothing
 * else is marked `suppressed`; the rest `applied`.
 */
export function inboxApplyOf(apply: ApplyService): InboxApply {
  const outcomeOf = (out: ApplyOutcome) => {
    const wroteNothing =
      out.people.applied === 0 &&
      out.employees.applied === 0 &&
      out.interactions.applied === 0 &&
      out.interactions.deleted === 0 &&
      out.conversations.applied === 0;
    return { suppressed: out.people.skipped > 0 && wroteNothing };
  };
  const run: InboxApply = async (sql, system, batch) => outcomeOf(await apply.applyBatchIn(sql, system, batch));
  return Object.assign(run, {
    prepare: (sql: Sql, items: { system: string; batch: CanonicalBatch }[]) => apply.prepareIn(sql, items),
    // The whole claimed batch at once: independent events set-based, the rest in turn.
    many: async (sql: Sql, items: { system: string; batch: CanonicalBatch }[]) => (await apply.applyManyIn(sql, items)).map(outcomeOf),
  });
}

export type InboxWorkerTuning = Omit<InboxWorkerOptions, 'ds' | 'apply' | 'instances' | 'log' | 'listenUrl'>;

/**
 * Starts the inbox worker on the ingest side's objects. Fits `IngestCommandDeps.startWorkers`
 * (`touchpoint worker`) as is, and `startHub` can call it for the in-process worker.
 */
export function webhookWorkerStarter(tuning: InboxWorkerTuning = {}) {
  return async (ctx: {
    database: Database;
    apply: ApplyService;
    instances: ConnectorInstance[];
    log: Logger;
  }): Promise<(() => Promise<void>) & { worker: InboxWorker }> => {
    const instances = webhookInstancesFrom(ctx.instances, { ds: ctx.database.dataSource, log: ctx.log });
    const worker = startInboxWorker({
      ds: ctx.database.dataSource,
      apply: inboxApplyOf(ctx.apply),
      instances,
      log: ctx.log.child({ component: 'inbox-worker' }),
      listenUrl: ctx.database.url,
      ...tuning,
    });
    const stop = async () => {
      await worker.stop();
      instances.close();
    };
    return Object.assign(stop, { worker });
  };
}
