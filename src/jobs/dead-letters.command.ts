import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { DeadLetterService } from './dead-letter.service.js';

export interface DeadLetterCommandDeps {
  /** Opens the database (config, migrations as `touchpoint` does), runs `work`, closes it. */
  withDataSource<T>(work: (ds: DataSource) => Promise<T>): Promise<T>;
  /** Where lines go (default process.stdout). */
  write?: (line: string) => void;
}

const REASONS = {
  not_found: 'no inbox event with that id',
  not_dead: 'that event is not dead-lettered',
  pull_path: 'that dead letter came from a sync or import; re-run the sync instead',
} as const;

/**
 * Registers `touchpoint dead-letters [--instance ID] [--limit N] [--json] [--replay ID]`.
 * Replay of an unknown or live event sets exit code 1.
 */
export function registerDeadLetterCommands(program: Command, deps: DeadLetterCommandDeps): Command {
  const write = deps.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  return program
    .command('dead-letters')
    .description(
      'List dead-lettered events (webhooks that failed every retry, objects a sync could not map), or replay one',
    )
    .option('--instance <id>', 'only this connector instance')
    .option('--limit <n>', 'how many to list (newest first)', '50')
    .option('--json', 'print JSON')
    .option('--replay <id>', 'put this dead webhook event back to pending so the worker applies it again')
    .action(async (opts: { instance?: string; limit: string; json?: boolean; replay?: string }) => {
      await deps.withDataSource(async (ds) => {
        const service = new DeadLetterService(ds);
        if (opts.replay !== undefined) {
          const outcome = await service.replayDeadLetter(opts.replay);
          if (opts.json) write(JSON.stringify(outcome));
          else
            write(
              outcome.replayed
                ? `replayed ${outcome.id}: pending again`
                : `not replayed ${outcome.id}: ${REASONS[outcome.reason]}`,
            );
          if (!outcome.replayed) process.exitCode = 1;
          return;
        }
        const limit = Number.parseInt(opts.limit, 10);
        const list = await service.listDeadLetters({
          ...(opts.instance ? { instance: opts.instance } : {}),
          limit: Number.isFinite(limit) ? limit : 50,
        });
        if (opts.json) {
          write(JSON.stringify(list.map(({ payload: _p, ...rest }) => rest)));
          return;
        }
        if (list.length === 0) {
          write('no dead letters');
          return;
        }
        for (const d of list) {
          write(
            `${d.id}\t${d.instance}\t${d.origin}\t${d.eventType ?? ''}\t${d.eventId}\tattempts=${d.attempts}\t${d.receivedAt.toISOString()}\t${(d.lastError ?? '').replace(/\s+/g, ' ').slice(0, 200)}`,
          );
        }
      });
    });
}
