import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { CustomerRow, IdentityRow } from '../customers/customer-read.service.js';
import { CustomerReadService } from '../customers/customer-read.service.js';
import type { PgEventHub } from '../events/event-hub.js';
import type { Ingest } from '../ingest/ingest.runtime.js';
import { IdentityResolver } from '../identity/identity-resolver.service.js';
import type { IdentityConfig } from '../identity/identity.config.js';
import { LiveFields } from '../live/live-fields.service.js';
import type { Logger } from '../log/logger.js';

/** What lives for the whole process and every request shares. */
export interface AppServices {
  dataSource: DataSource;
  log: Logger;
  version: string;
  defaultPhoneRegion: string;
  customers: CustomerReadService;
  identity: IdentityResolver;
  /** Hub events from Postgres LISTEN (subscriptions). */
  events: PgEventHub;
  /** The ingest engine (connector instances, apply path, status); absent in API-only tests. */
  ingest?: Ingest;
}

/** Per-request context: loaders are created here so batching and caching never cross requests. */
export interface RequestContext {
  services: AppServices;
  log: Logger;
  requestId: string;
  /** Who is acting (for the audit log); the demo and unauthenticated development use `anonymous`. */
  actor: string;
  role: string | null;
  /** Live fields of this request (batched per source, deadline, stale fallback). */
  live: LiveFields;
  loaders: {
    customer: DataLoader<string, CustomerRow | null>;
    identities: DataLoader<string, IdentityRow[]>;
  };
}

export function createServices(
  dataSource: DataSource,
  log: Logger,
  version: string,
  defaultPhoneRegion: string,
  events: PgEventHub,
  identityConfig: Partial<IdentityConfig> = {},
): AppServices {
  return {
    dataSource,
    log,
    version,
    defaultPhoneRegion,
    customers: new CustomerReadService(dataSource),
    identity: new IdentityResolver(dataSource, { defaultRegion: defaultPhoneRegion as IdentityConfig['defaultRegion'], ...identityConfig }),
    events,
  };
}

/**
 * A request's context. The child logger is made when something logs (most requests never do); the
 * getter sits on the prototype because Apollo copies a context's own properties per operation.
 */
class HubRequestContext implements RequestContext {
  actor = 'anonymous';
  role: string | null = null;
  readonly live: LiveFields;
  readonly loaders: RequestContext['loaders'];
  private logger: Logger | undefined;

  constructor(
    readonly services: AppServices,
    readonly requestId: string,
  ) {
    this.live = new LiveFields(services.dataSource, services.ingest, services.log);
    this.loaders = {
      customer: new DataLoader((ids) => services.customers.getMany(ids)),
      identities: new DataLoader(async (ids) => {
        const map = await services.customers.identitiesOf(ids);
        return ids.map((id) => map.get(id) ?? []);
      }),
    };
  }

  get log(): Logger {
    return (this.logger ??= this.services.log.child({ requestId: this.requestId }));
  }
}

export function createRequestContext(services: AppServices, requestId: string): RequestContext {
  return new HubRequestContext(services, requestId);
}
