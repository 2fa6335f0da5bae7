import { z } from 'zod';
import type { StreamDefinition } from '../../src/connector-kit/index.js';
import { basic, defineConnector } from '../../src/connector-kit/index.js';
import {
  changedEmployees,
  classifyBambooHr,
  employeesByIds,
  listEmployees,
  type BambooHrConfig,
  type BambooHrItem,
} from './client.js';
import { mapEmployee } from './mapping.js';
import { bamboohrWebhooks } from './webhooks.js';

/**
 * `full`: paging through `GET /api/v1/employees` (after = the document's `page[after]`), with the
 * `/employees/changed` watermark taken before the first page; `changes`: polling `/employees/changed`.
 */
export type BambooHrCursor =
  { mode: 'full'; after: string | null; since: string } | { mode: 'changes'; since: string };

const EPOCH = '1970-01-01T00:00:00Z';

export const employeesStream: StreamDefinition<BambooHrConfig, BambooHrItem, BambooHrCursor> = {
  name: 'employees',
  description: 'Employees: a full listing, then the ids /employees/changed reports, read back by filter[ids]',
  everySeconds: 300,
  async fetchPage(ctx, cursor) {
    if (cursor === null || cursor.mode === 'full') {
      // The server's own latest change time is the watermark: no clock of ours is involved.
      const since = cursor?.since ?? (await changedEmployees(ctx.http, ctx.config, EPOCH)).latest ?? EPOCH;
      const page = await listEmployees(ctx.http, ctx.config, { after: cursor?.after ?? undefined });
      // The listing has no change times: each row is the state as of the watermark at least, and
      // any later change reports a lastChanged after it, so newer-wins ordering stays right.
      const items = page.data.map((e) => ({ ...e, lastChanged: since }));
      const next = page.meta.page.nextCursor;
      return next
        ? { items, nextCursor: { mode: 'full', after: next, since }, done: false }
        : { items, nextCursor: { mode: 'changes', since }, done: true };
    }
    const changed = await changedEmployees(ctx.http, ctx.config, cursor.since);
    const entries = Object.values(changed.employees ?? {});
    if (entries.length === 0) return { items: [], nextCursor: cursor, done: true };
    const lastChanged = new Map(entries.map((e) => [String(e.id), e.lastChanged]));
    const deleted: BambooHrItem[] = entries
      .filter((e) => e.action === 'Deleted')
      .map((e) => ({ employeeId: String(e.id), deleted: true as const, lastChanged: e.lastChanged }));
    const live = await employeesByIds(
      ctx,
      entries.filter((e) => e.action !== 'Deleted').map((e) => String(e.id)),
    );
    const items: BambooHrItem[] = [
      ...live.map((e) => ({ ...e, lastChanged: lastChanged.get(String(e.employeeId)) ?? changed.latest })),
      ...deleted,
    ];
    return { items, nextCursor: { mode: 'changes', since: changed.latest ?? cursor.since }, done: true };
  },
  map: (item) => mapEmployee(item),
};

export default defineConnector<BambooHrConfig>({
  id: 'bamboohr',
  category: 'hr',
  displayName: 'BambooHR',
  api: {
    baseUrl: 'https://{companyDomain}.bamboohr.com',
    auth: 'basic',
    paging: 'cursor',
    rateLimitHeaders: ['Retry-After'],
    docs: 'https://documentation.bamboohr.com/reference',
  },
  configSchema: z.object({
    companyDomain: z.string().min(1, 'bamboohr: config.companyDomain (your BambooHR sub-domain) is required'),
    baseUrl: z.string().url().optional(),
    pageSize: z.number().int().min(1).max(2500).optional(),
  }) as z.ZodType<BambooHrConfig>,
  credentials: {
    apiKey: { description: 'BambooHR API key (sent as the Basic-auth user; the password is ignored)' },
    webhookPrivateKey: { description: 'Private key returned when the webhook was created', optional: true },
  },
  auth: ({ credentials }) => basic(credentials.apiKey ?? '', 'x'),
  classify: classifyBambooHr,
  http: { concurrency: 2 },
  streams: [employeesStream],
  webhooks: bamboohrWebhooks,
});
