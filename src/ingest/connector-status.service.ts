import type { DataSource } from 'typeorm';
import type { ConnectorInstance } from './instances.js';

export interface StreamStatus {
  name: string;
  /** never_run | running | succeeded | failed */
  status: string;
  recordsSynced: number;
  lastStartedAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  highWaterMark: Date | null;
  /** Seconds between now and the newest source time applied (null before the first object). */
  lagSeconds: number | null;
}

export interface ConnectorInstanceStatus {
  id: string;
  connector: string;
  displayName: string;
  category: string;
  enabled: boolean;
  /** disabled | never_run | running | failing | ok — the worst of its streams. */
  status: string;
  streams: StreamStatus[];
  /** Objects of this instance waiting in the dead-letter list. */
  deadLetters: number;
}

interface Row {
  instance: string;
  stream: string;
  status: string;
  recordsSynced: string;
  lastStartedAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  highWaterMark: Date | null;
}

/** The state of every configured connector instance, for `touchpoint connectors` and GraphQL. */
export class ConnectorStatusService {
  constructor(
    private readonly ds: DataSource,
    private readonly instances: readonly ConnectorInstance[],
  ) {}

  async list(now: Date = new Date()): Promise<ConnectorInstanceStatus[]> {
    const ids = this.instances.map((i) => i.id);
    const rows: Row[] = await this.ds.query(
      `SELECT connector_instance AS instance, stream, status, records_synced AS "recordsSynced", last_started_at AS "lastStartedAt",
              last_success_at AS "lastSuccessAt", last_error AS "lastError", last_error_at AS "lastErrorAt", high_water_mark AS "highWaterMark"
         FROM sync_state WHERE connector_instance = ANY($1::text[])`,
      [ids],
    );
    const dead: { instance: string; n: string }[] = await this.ds.query(
      `SELECT connector_instance AS instance, count(*) AS n FROM inbox_event
        WHERE status = 'dead' AND connector_instance = ANY($1::text[]) GROUP BY connector_instance`,
      [ids],
    );
    return this.instances.map((inst) => {
      const streams: StreamStatus[] = inst.connector.streams.map((s) => {
        const r = rows.find((x) => x.instance === inst.id && x.stream === s.name);
        return {
          name: s.name,
          status: r?.status ?? 'never_run',
          recordsSynced: Number(r?.recordsSynced ?? 0),
          lastStartedAt: r?.lastStartedAt ?? null,
          lastSuccessAt: r?.lastSuccessAt ?? null,
          lastError: r?.lastError ?? null,
          lastErrorAt: r?.lastErrorAt ?? null,
          highWaterMark: r?.highWaterMark ?? null,
          lagSeconds: r?.highWaterMark
            ? Math.max(0, Math.round((now.getTime() - r.highWaterMark.getTime()) / 1000))
            : null,
        };
      });
      const has = (st: string) => streams.some((s) => s.status === st);
      const status = !inst.enabled
        ? 'disabled'
        : has('failed')
          ? 'failing'
          : has('running')
            ? 'running'
            : streams.length && streams.every((s) => s.status === 'never_run')
              ? 'never_run'
              : 'ok';
      return {
        id: inst.id,
        connector: inst.connectorId,
        displayName: inst.connector.displayName,
        category: inst.connector.category,
        enabled: inst.enabled,
        status,
        streams,
        deadLetters: Number(dead.find((d) => d.instance === inst.id)?.n ?? 0),
      };
    });
  }
}
