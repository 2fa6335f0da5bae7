/** Metadata every stored record carries; simulators map it to the vendor's own field names. */
export interface RecordMeta {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  /** increments on every change; vendors that expose a version/etag can use it */
  version: number;
}

export type Stored<T> = T & RecordMeta;

export interface ChangeEntry {
  seq: number;
  id: string;
  op: 'create' | 'update' | 'remove';
  at: Date;
}

export interface MemoryStoreOptions {
  /** default ids are `${prefix}${n}` zero-padded so string order = creation order */
  idPrefix?: string;
  idFactory?: (n: number) => string;
  /** injectable clock for "changed since" tests; default Date.now */
  now?: () => number;
}

type Input<T> = T & { id?: string };
type Patch<T> = Partial<Omit<T, keyof RecordMeta>>;

/**
 * An in-memory collection for simulators: ids, `updatedAt` that strictly increases (so
 * "changed since" is exact even within one millisecond), soft deletion and a change log.
 */
export class MemoryStore<T extends object> {
  private readonly rows = new Map<string, Stored<T>>();
  private readonly log: ChangeEntry[] = [];
  private counter = 0;
  private lastMs = 0;
  private readonly now: () => number;
  private readonly options: MemoryStoreOptions;

  constructor(options: MemoryStoreOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  private tick(): Date {
    this.lastMs = Math.max(this.now(), this.lastMs + 1);
    return new Date(this.lastMs);
  }

  private record(id: string, op: ChangeEntry['op'], at: Date): void {
    this.log.push({ seq: this.log.length + 1, id, op, at });
  }

  private nextId(): string {
    this.counter += 1;
    if (this.options.idFactory) return this.options.idFactory(this.counter);
    return `${this.options.idPrefix ?? ''}${String(this.counter).padStart(6, '0')}`;
  }

  create(input: Input<T>, at?: Date): Stored<T> {
    const id = input.id ?? this.nextId();
    if (this.rows.has(id)) throw new Error(`duplicate id ${id}`);
    const stamp = at ?? this.tick();
    const row = {
      ...input,
      id,
      createdAt: stamp,
      updatedAt: stamp,
      deletedAt: null,
      version: 1,
    } as Stored<T>;
    this.rows.set(id, row);
    this.record(id, 'create', stamp);
    return row;
  }

  /** Shallow-merges `patch`; throws for an unknown or removed id. */
  update(id: string, patch: Patch<T>): Stored<T> {
    const row = this.get(id);
    if (!row) throw new Error(`no record ${id}`);
    const stamp = this.tick();
    const next = { ...row, ...patch, id, updatedAt: stamp, version: row.version + 1 } as Stored<T>;
    this.rows.set(id, next);
    this.record(id, 'update', stamp);
    return next;
  }

  /** Soft delete: the row stays visible to `changedSince` and `{ includeDeleted }`. */
  remove(id: string): Stored<T> {
    const row = this.get(id);
    if (!row) throw new Error(`no record ${id}`);
    const stamp = this.tick();
    const next = { ...row, deletedAt: stamp, updatedAt: stamp, version: row.version + 1 } as Stored<T>;
    this.rows.set(id, next);
    this.record(id, 'remove', stamp);
    return next;
  }

  get(id: string, opts: { includeDeleted?: boolean } = {}): Stored<T> | undefined {
    const row = this.rows.get(id);
    if (!row || (row.deletedAt && !opts.includeDeleted)) return undefined;
    return row;
  }

  /** Rows in creation order; optionally those changed strictly after `changedSince`. */
  list(
    opts: {
      includeDeleted?: boolean;
      changedSince?: Date | number;
      where?: (row: Stored<T>) => boolean;
    } = {},
  ): Stored<T>[] {
    const since = opts.changedSince === undefined ? undefined : new Date(opts.changedSince).getTime();
    const out: Stored<T>[] = [];
    for (const row of this.rows.values()) {
      if (since !== undefined && row.updatedAt.getTime() <= since) continue;
      // a "changed since" query must report deletions, so it sees removed rows
      if (row.deletedAt && !opts.includeDeleted && since === undefined) continue;
      if (opts.where && !opts.where(row)) continue;
      out.push(row);
    }
    return out;
  }

  /** Change log entries after `afterSeq` (0 = all). */
  changes(afterSeq = 0): ChangeEntry[] {
    return this.log.slice(afterSeq);
  }

  get size(): number {
    return this.list().length;
  }
}
