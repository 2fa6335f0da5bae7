import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { CustomerRow, IdentityRow } from '../customers/customer-read.service.js';
import { CustomerReadService } from '../customers/customer-read.service.js';
import type { Logger } from '../log/logger.js';

/** What lives for the whole process and every request shares. */
export interface AppServices {
  dataSource: DataSource;
  log: Logger;
  version: string;
  defaultPhoneRegion: string;
  customers: CustomerReadService;
}

/** Per-request context: loaders are created here so batching and caching never cross requests. */
export interface RequestContext {
  services: AppServices;
  log: Logger;
  requestId: string;
  loaders: {
    customer: DataLoader<string, CustomerRow | null>;
    identities: DataLoader<string, IdentityRow[]>;
  };
}

export function createServices(dataSource: DataSource, log: Logger, version: string, defaultPhoneRegion: string): AppServices {
  return { dataSource, log, version, defaultPhoneRegion, customers: new CustomerReadService(dataSource) };
}

export function createRequestContext(services: AppServices, requestId: string): RequestContext {
  return {
    services,
    requestId,
    log: services.log.child({ requestId }),
    loaders: {
      customer: new DataLoader((ids) => services.customers.getMany(ids)),
      identities: new DataLoader(async (ids) => {
        const map = await services.customers.identitiesOf(ids);
        return ids.map((id) => map.get(id) ?? []);
      }),
    },
  };
}
