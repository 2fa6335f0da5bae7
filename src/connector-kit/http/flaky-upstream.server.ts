import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake upstream saw it; `at` is the server-side arrival time. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

export type FakeHandler = (req: RecordedRequest, hit: number) => FakeReply | Promise<FakeReply>;

export interface FlakyUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Highest number of requests the server held at once. */
  maxInFlight: number;
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 with a port picked by the OS, answering whatever the test
 * scripts: the flaky fake upstream the HTTP client and connector contract tests run against.
 */
export async function startFlakyUpstream(handler: FakeHandler): Promise<FlakyUpstream> {
  let current = handler;
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const at = Date.now();
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at,
      };
      requests.push(recorded);
      void Promise.resolve(current(recorded, requests.length)).then(async (reply) => {
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        inFlight--;
        if (res.destroyed) return;
        const body =
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, {
          ...(typeof reply.body === 'string' || reply.body === undefined
            ? {}
            : { 'content-type': 'application/json' }),
          ...reply.headers,
        });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    setHandler(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
