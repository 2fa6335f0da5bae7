// A second OS process for pg-token.store.integration.test.ts: runs the kit's TypeScript source
// through Node's type stripping (relative `.js` imports resolve to the `.ts` beside them),
// then makes concurrent calls through its own pg pool and its own HTTP client when told to go.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js'))
        return next(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const kit = await import(new URL('./index.ts', import.meta.url).href);
const { default: pg } = await import('pg');

const { DATABASE_URL, UPSTREAM_URL, INSTANCE_ID, CALLS } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
const http = kit.createHttpClient({
  connectorId: 'acme',
  instanceId: INSTANCE_ID,
  baseURL: UPSTREAM_URL,
  concurrency: 20,
  auth: kit.oauth2({
    tokenUrl: `${UPSTREAM_URL}/oauth/token`,
    clientId: 'cid',
    clientSecret: 'shh',
    store: new kit.PgTokenStore(pool),
  }),
});

process.on('message', async (msg) => {
  if (msg !== 'go') return;
  try {
    const results = await Promise.all(Array.from({ length: Number(CALLS) }, () => http.get('/me')));
    process.send({ tokens: results.map((r) => r.data.token) });
  } catch (err) {
    process.send({ error: `${err.code ?? ''} ${err.message}` });
  } finally {
    http.close();
    await pool.end();
  }
});
process.send('ready');
