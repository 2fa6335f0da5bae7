import type { PathPattern } from './path-match.util.js';
import { compilePath } from './path-match.util.js';

export interface RequestRecord {
  seq: number;
  at: Date;
  method: string;
  path: string;
  /** the express route pattern that answered (e.g. `/v1/customers/:id`), null when none did */
  route: string | null;
  /** bearer token, basic user or api key presented; `anonymous` when none */
  credential: string;
  /** null while the request is still open (e.g. a hung request) */
  status: number | null;
  /** the injected fault that answered, if any */
  fault: string | null;
}

export interface StatsFilter {
  method?: string;
  path?: PathPattern;
  route?: string;
  credential?: string;
  status?: number;
}

/** Every request a simulator saw, so tests can assert on call counts (e.g. one batched call). */
export class RequestStats {
  readonly requests: RequestRecord[] = [];

  /** @internal called by the server */
  open(rec: Omit<RequestRecord, 'seq' | 'status' | 'route' | 'fault'>): RequestRecord {
    const full: RequestRecord = {
      ...rec,
      seq: this.requests.length + 1,
      route: null,
      status: null,
      fault: null,
    };
    this.requests.push(full);
    return full;
  }

  filter(f: StatsFilter = {}): RequestRecord[] {
    const re = f.path === undefined ? undefined : compilePath(f.path);
    return this.requests.filter(
      (r) =>
        (f.method === undefined || r.method === f.method.toUpperCase()) &&
        (re === undefined || re.test(r.path)) &&
        (f.route === undefined || r.route === f.route) &&
        (f.credential === undefined || r.credential === f.credential) &&
        (f.status === undefined || r.status === f.status),
    );
  }

  count(f: StatsFilter = {}): number {
    return this.filter(f).length;
  }

  /** `"GET /v1/customers/:id" → n`; requests no route answered are keyed by their path. */
  byRoute(): Record<string, number> {
    return tally(this.requests, (r) => `${r.method} ${r.route ?? r.path}`);
  }

  byCredential(): Record<string, number> {
    return tally(this.requests, (r) => r.credential);
  }

  reset(): void {
    this.requests.length = 0;
  }
}

function tally(rows: readonly RequestRecord[], key: (r: RequestRecord) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}
