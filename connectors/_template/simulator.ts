import {
  bearer,
  encodeCursor,
  generatePopulation,
  MemoryStore,
  pageByCursor,
  startSimulator,
  viewsFor,
  type RunningSimulator,
} from '../../src/simulator-kit/index.js';
import type { VendorxContact } from './client.js';

export interface VendorxSimulator {
  url: string;
  config: { pageSize: number };
  credentials: Record<string, string>;
  server: RunningSimulator;
  store: MemoryStore<Omit<VendorxContact, 'id' | 'updated_at'>>;
  close(): Promise<void>;
}

/** An in-process Vendorx API: the vendor's paths, bearer auth, cursor paging and a 429 throttle. */
export async function startVendorxSimulator(
  options: { seed?: number; people?: number; port?: number } = {},
): Promise<VendorxSimulator> {
  const population = generatePopulation({
    seed: options.seed ?? 1,
    people: options.people ?? 60,
    employees: 5,
  });
  const store = new MemoryStore<Omit<VendorxContact, 'id' | 'updated_at'>>({ idPrefix: 'vx_' });
  for (const v of viewsFor(population, 'crm'))
    store.create({ email: v.email, phone: v.phone, first_name: v.firstName, last_name: v.lastName });
  const token = 'vx_test_token';
  const toApi = (row: ReturnType<typeof store.list>[number]): VendorxContact => ({
    id: row.id,
    email: row.email,
    phone: row.phone,
    first_name: row.first_name,
    last_name: row.last_name,
    updated_at: row.updatedAt.toISOString(),
  });
  const server = await startSimulator({
    name: 'vendorx',
    ...(options.port !== undefined ? { port: options.port } : {}),
    auth: {
      schemes: bearer([token]),
      unauthorized: ({ res }) => res.status(401).json({ error: 'unauthorized' }),
    },
    throttle: { capacity: 100, refillPerSecond: 100 },
    routes: (app) => {
      app.get('/v1/contacts', (req, res) => {
        const page = pageByCursor(store.list(), {
          limit: Number(req.query.limit ?? 50),
          cursor: req.query.cursor as string | undefined,
        });
        // Like Zendesk's after_cursor: a cursor after the last object even on the last page, so
        // the next run asks only for what came after it.
        const tail = page.items.at(-1);
        const after = tail
          ? encodeCursor({ k: tail.id })
          : ((req.query.cursor as string | undefined) ?? null);
        res.json({ data: page.items.map(toApi), next_cursor: after, has_more: page.hasMore });
      });
      app.get('/v1/contacts/batch', (req, res) => {
        const ids = String(req.query.ids ?? '')
          .split(',')
          .filter(Boolean);
        // Like most vendors: found objects only, in no particular order.
        const found = ids
          .map((id) => store.get(id))
          .filter((r) => r !== undefined)
          .reverse();
        res.json({ data: found.map(toApi) });
      });
    },
  });
  return {
    url: server.url,
    config: { pageSize: 25 },
    credentials: { apiToken: token, webhookSecret: 'vx_whsec' },
    server,
    store,
    close: () => server.close(),
  };
}
