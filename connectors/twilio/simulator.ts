import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { signTwilio } from '../../src/connector-kit/index.js';
import {
  basic,
  createRng,
  sendWebhook,
  startSimulator as startKitSimulator,
  viewsFor,
  type Population,
  type RunningSimulator,
  type SendWebhookResult,
} from '../../src/simulator-kit/index.js';
import { FINAL_CALL_STATUSES, toRfc2822, type TwilioCall, type TwilioCallStatus } from './client.js';

/** The contact centre's own number (Ofcom's 0808 157 drama range, so it is never a customer's). */
export const COMPANY_NUMBER = '+448081570000';
const ANONYMOUS = '+266696687'; // what Twilio reports for a withheld caller id

export interface TwilioSimulatorOptions {
  population: Population;
  port?: number;
  trickleEveryMs?: number;
  /** calls allowed per second per account before 429/20429 (Twilio's concurrency-based limit, simplified) */
  requestsPerSecond?: number;
  /** where status callbacks go (the hub's webhook URL); none when omitted */
  statusCallbackUrl?: string;
}

export interface RecordedTwilioRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface TwilioSimulator {
  url: string;
  credentials: { accountSid: string; authToken: string };
  config: { pageSize: number };
  sim: RunningSimulator;
  /** every API request that reached the routes, with its query, for the OpenAPI check */
  requests: RecordedTwilioRequest[];
  /** the calls as the API would list them (newest first) */
  calls(): TwilioCall[];
  startCall(input: {
    customer: string;
    direction?: 'inbound' | 'outbound-api' | 'outbound-dial';
  }): TwilioCall;
  /** moves a call on: answered → in-progress, or to a final status with a duration */
  updateCall(sid: string, status: TwilioCallStatus, durationSeconds?: number): TwilioCall;
  deleteCall(sid: string): void;
  /** POSTs a signed status callback for the call's current status to `url` */
  sendStatusCallback(sid: string, url: string): Promise<SendWebhookResult>;
  close(): Promise<void>;
}

const hex32 = (label: string): string => createHash('md5').update(label).digest('hex');

function twilioError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function startKey(call: TwilioCall): number {
  return Date.parse(call.start_time ?? call.date_created ?? '') || 0;
}

/**
 * Twilio's Calls API on loopback: Basic auth AccountSid:AuthToken, `Calls.json` newest first
 * with PageSize/Page/PageToken and `next_page_uri`, the `StartTime>=`/`<=`, To, From, Status
 * filters, 429 with error 20429, and signed form-encoded status callbacks.
 */
export async function startSimulator(options: TwilioSimulatorOptions): Promise<TwilioSimulator> {
  const seed = String(options.population.seed);
  const rng = createRng(`${seed}:twilio`);
  const accountSid = `AC${hex32(`${seed}:account`)}`;
  const authToken = hex32(`${seed}:token`);
  const calls = new Map<string, TwilioCall>();
  const requests: RecordedTwilioRequest[] = [];
  let counter = 0;

  const customers = viewsFor(options.population, 'contact_centre')
    .map((v) => v.phone)
    .filter((p): p is string => p !== null);

  const callUri = (sid: string) => `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;

  function create(
    at: Date,
    customer: string,
    direction: TwilioCall['direction'],
    status: TwilioCallStatus,
    duration: number | null,
  ): TwilioCall {
    counter += 1;
    const sid = `CA${hex32(`${seed}:call:${counter}`)}`;
    const inbound = direction === 'inbound';
    const final = FINAL_CALL_STATUSES.has(status);
    const answered = status === 'completed' || status === 'in-progress';
    const end = final && duration !== null ? new Date(at.getTime() + duration * 1000) : final ? at : null;
    const call: TwilioCall = {
      sid,
      account_sid: accountSid,
      parent_call_sid: direction === 'outbound-dial' ? `CA${hex32(`${seed}:parent:${counter}`)}` : null,
      date_created: toRfc2822(at),
      date_updated: toRfc2822(end ?? at),
      to: inbound ? COMPANY_NUMBER : customer,
      to_formatted: inbound ? COMPANY_NUMBER : customer,
      from: inbound ? customer : COMPANY_NUMBER,
      from_formatted: inbound ? customer : COMPANY_NUMBER,
      phone_number_sid: `PN${hex32(`${seed}:number`)}`,
      status,
      start_time: status === 'queued' ? null : toRfc2822(at),
      end_time: end ? toRfc2822(end) : null,
      duration: final ? String(answered ? (duration ?? 0) : 0) : null,
      price: final && answered ? `-${((duration ?? 0) * 0.0085).toFixed(5)}` : null,
      price_unit: 'USD',
      direction,
      answered_by: null,
      api_version: '2010-04-01',
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: '0',
      trunk_sid: null,
      uri: callUri(sid),
      subresource_uris: {
        notifications: callUri(sid).replace('.json', '/Notifications.json'),
        recordings: callUri(sid).replace('.json', '/Recordings.json'),
      },
    };
    calls.set(sid, call);
    return call;
  }

  // history: up to 3 calls per reachable customer over the last 30 days, plus a few still live
  const now = Date.now();
  for (const phone of customers) {
    const n = rng.int(0, 3);
    for (let i = 0; i < n; i++) {
      const at = new Date(Math.floor((now - rng.int(3_600, 30 * 86_400) * 1000) / 1000) * 1000);
      const direction = rng.weighted<TwilioCall['direction']>([
        ['inbound', 6],
        ['outbound-api', 3],
        ['outbound-dial', 1],
      ]);
      const status = rng.weighted<TwilioCallStatus>([
        ['completed', 8],
        ['no-answer', 1],
        ['busy', 1],
        ['failed', 0.3],
        ['canceled', 0.3],
      ]);
      create(at, phone, direction, status, status === 'completed' ? rng.int(15, 1_500) : 0);
    }
  }
  for (let i = 0; i < 2; i++)
    create(new Date(now - 1_000 * rng.int(1_000, 3_000)), ANONYMOUS, 'inbound', 'completed', rng.int(5, 60));
  for (let i = 0; i < Math.min(3, customers.length); i++)
    create(
      new Date(now - 1_000 * rng.int(30, 600)),
      rng.pick(customers),
      'inbound',
      i === 0 ? 'ringing' : 'in-progress',
      null,
    );

  const sorted = (): TwilioCall[] =>
    [...calls.values()].sort(
      (a, b) => startKey(b) - startKey(a) || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0),
    );

  const sim = await startKitSimulator({
    name: 'twilio',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: basic({ [accountSid]: authToken }),
      unauthorized: ({ res }) => twilioError(res, 401, 20003, 'Authenticate'),
    },
    throttle: {
      capacity: options.requestsPerSecond ?? 100,
      refillPerSecond: options.requestsPerSecond ?? 100,
      // Twilio sends no Retry-After with 20429: clients back off on their own
      respond: ({ res }) => twilioError(res, 429, 20429, 'Too Many Requests'),
    },
    failureBody: (status) => ({
      code: 20500,
      message: 'Internal Server Error',
      more_info: 'https://www.twilio.com/docs/errors/20500',
      status,
    }),
    notFound: (_req, res) => twilioError(res, 404, 20404, 'The requested resource was not found'),
    routes: (app) => {
      app.use((req: Request, _res, next) => {
        requests.push({
          method: req.method,
          path: req.path,
          query: { ...(req.query as Record<string, string>) },
        });
        next();
      });
      const ownAccount = (req: Request, res: Response): boolean => {
        if (req.params.AccountSid === accountSid) return true;
        twilioError(res, 404, 20404, `The requested resource ${req.path} was not found`);
        return false;
      };

      app.get('/2010-04-01/Accounts/:AccountSid/Calls.json', (req, res) => {
        if (!ownAccount(req, res)) return;
        const q = req.query as Record<string, string | undefined>;
        const pageSize = q.PageSize === undefined ? 50 : Number(q.PageSize);
        const page = q.Page === undefined ? 0 : Number(q.Page);
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
          return twilioError(res, 400, 20001, 'Invalid PageSize');
        if (!Number.isInteger(page) || page < 0) return twilioError(res, 400, 20001, 'Invalid Page');
        const bound = (name: string): number | undefined => {
          const v = q[name];
          if (v === undefined) return undefined;
          // Twilio documents these filters as dates (YYYY-MM-DD, UTC): a time of day is dropped
          const ms = Date.parse(`${v.slice(0, 10)}T00:00:00Z`);
          if (Number.isNaN(ms)) throw Object.assign(new Error(`Invalid ${name}`), { status: 400 });
          return ms;
        };
        const from = bound('StartTime>');
        const to = bound('StartTime<');
        let list = sorted().filter((c) => {
          const start = Date.parse(c.start_time ?? '');
          if (from !== undefined && !(start >= from)) return false;
          if (to !== undefined && !(start < to)) return false;
          if (q.To !== undefined && c.to !== q.To) return false;
          if (q.From !== undefined && c.from !== q.From) return false;
          if (q.Status !== undefined && c.status !== q.Status) return false;
          return true;
        });
        // PageToken names the last call of the previous page, so new calls do not shift pages
        if (q.PageToken !== undefined) {
          const after = q.PageToken.replace(/^PA/, '');
          const at = list.findIndex((c) => c.sid === after);
          if (at < 0 && !calls.has(after)) return twilioError(res, 400, 20001, 'Invalid PageToken');
          const anchor = calls.get(after) as TwilioCall;
          list = at >= 0 ? list.slice(at + 1) : list.filter((c) => startKey(c) < startKey(anchor));
        } else if (page > 0) {
          list = list.slice(page * pageSize);
        }
        const items = list.slice(0, pageSize);
        const base = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
        const filters = new URLSearchParams();
        for (const name of ['To', 'From', 'Status', 'StartTime>', 'StartTime<'])
          if (q[name] !== undefined) filters.set(name, q[name] as string);
        const uri = (extra: Record<string, string>) => {
          const p = new URLSearchParams(filters);
          p.set('PageSize', String(pageSize));
          for (const [k, v] of Object.entries(extra)) p.set(k, v);
          return `${base}?${p.toString()}`;
        };
        const last = items.at(-1);
        res.json({
          calls: items,
          end: page * pageSize + Math.max(0, items.length - 1),
          first_page_uri: uri({ Page: '0' }),
          next_page_uri:
            list.length > pageSize && last
              ? uri({ Page: String(page + 1), PageToken: `PA${last.sid}` })
              : null,
          page,
          page_size: pageSize,
          previous_page_uri: page > 0 ? uri({ Page: String(page - 1) }) : null,
          start: page * pageSize,
          uri: uri(page > 0 ? { Page: String(page) } : {}),
        });
      });

      app.get('/2010-04-01/Accounts/:AccountSid/Calls/:Sid.json', (req, res) => {
        if (!ownAccount(req, res)) return;
        const call = calls.get(String(req.params.Sid));
        if (!call) return twilioError(res, 404, 20404, `The requested resource ${req.path} was not found`);
        res.json(call);
      });
    },
  });

  const nowRfc = (): string => toRfc2822(new Date());

  const api: TwilioSimulator = {
    url: sim.url,
    credentials: { accountSid, authToken },
    config: { pageSize: 50 },
    sim,
    requests,
    calls: sorted,
    startCall({ customer, direction = 'inbound' }) {
      const call = create(new Date(), customer, direction, 'ringing', null);
      return call;
    },
    updateCall(sid, status, durationSeconds) {
      const call = calls.get(sid);
      if (!call) throw new Error(`no call ${sid}`);
      const final = FINAL_CALL_STATUSES.has(status);
      const next: TwilioCall = { ...call, status, date_updated: nowRfc() };
      if (status === 'in-progress' && !call.start_time) next.start_time = nowRfc();
      if (final) {
        next.end_time = nowRfc();
        next.duration = String(status === 'completed' ? (durationSeconds ?? 0) : 0);
      }
      calls.set(sid, next);
      return next;
    },
    deleteCall(sid) {
      calls.delete(sid);
    },
    async sendStatusCallback(sid, url) {
      const call = calls.get(sid);
      if (!call) throw new Error(`no call ${sid}`);
      const form: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        CallSid: call.sid,
        CallStatus: call.status,
        Called: call.to ?? '',
        Caller: call.from ?? '',
        Direction: call.direction,
        From: call.from ?? '',
        To: call.to ?? '',
        Timestamp: call.date_updated ?? nowRfc(),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(call.status === 'completed' ? 3 : 1),
        ...(call.duration !== null ? { CallDuration: call.duration } : {}),
      };
      return sendWebhook({ url, form, headers: signTwilio({ authToken, url, params: form }) });
    },
    close: async () => {
      if (timer) clearInterval(timer);
      await sim.close();
    },
  };

  // demo: a new call now and then, and open calls moving on to their end
  let timer: NodeJS.Timeout | undefined;
  if (options.trickleEveryMs && customers.length > 0) {
    const live = createRng(`${seed}:twilio:trickle`);
    timer = setInterval(() => {
      for (const call of calls.values()) {
        if (call.status === 'ringing') api.updateCall(call.sid, 'in-progress');
        else if (call.status === 'in-progress') api.updateCall(call.sid, 'completed', live.int(20, 900));
        else continue;
        if (options.statusCallbackUrl)
          void api.sendStatusCallback(call.sid, options.statusCallbackUrl).catch(() => undefined);
      }
      const call = api.startCall({
        customer: live.pick(customers),
        direction: live.chance(0.7) ? 'inbound' : 'outbound-api',
      });
      if (options.statusCallbackUrl)
        void api.sendStatusCallback(call.sid, options.statusCallbackUrl).catch(() => undefined);
    }, options.trickleEveryMs);
    timer.unref();
  }
  return api;
}
