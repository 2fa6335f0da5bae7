/** The ingest engine: the one apply path, connector instances, sync runs and the CLI commands. */
export { ApplyService, ApplyValidationError, addOutcome, emptyOutcome, reasonOf } from './apply.service.js';
export type { ApplyOutcome, PageItem } from './apply.service.js';
export { recordDeadLetterIn, listDeadLetters, DEAD_LETTER_PREFIX } from './dead-letter.js';
export type { DeadLetter, DeadLetterRow } from './dead-letter.js';
export { parseInstances, findInstance, createInstanceRuntime, streamInterval, poolOf } from './instances.js';
export type {
  ConnectorInstance,
  ConnectorRegistry,
  InstanceRuntime,
  ParseInstancesOptions,
} from './instances.js';
export { runSync, startScheduler, syncLockKey, UnknownStreamError } from './sync-runner.js';
export type { RunSyncOptions, StreamRunResult, Scheduler } from './sync-runner.js';
export { ConnectorStatusService } from './connector-status.service.js';
export type { ConnectorInstanceStatus, StreamStatus } from './connector-status.service.js';
export { importCsv, ImportFileError } from './csv-import.js';
export type { ImportReport, ImportCsvOptions } from './csv-import.js';
export { registerIngestCommands, loadInstances, formatConnectorTable } from './ingest.commands.js';
export type { IngestCommandDeps } from './ingest.commands.js';
export { createIngest } from './ingest.runtime.js';
export type { Ingest } from './ingest.runtime.js';
