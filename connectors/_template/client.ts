import type { ApiDescription } from '../../src/connector-kit/index.js';

/**
 * What the Vendorx API is, as data (CONVENTIONS 2), and the vendor's object shapes.
 * Replace with the real vendor's: base URL, auth, paging style, limit headers, docs link.
 */
export const VENDORX_API: ApiDescription = {
  baseUrl: 'https://api.vendorx.example',
  auth: 'bearer',
  paging: 'cursor',
  rateLimitHeaders: ['x-ratelimit-remaining', 'retry-after'],
  docs: 'https://developer.vendorx.example/docs',
};

export interface VendorxConfig {
  /** Objects per page (the vendor's maximum is 100). */
  pageSize: number;
}

/** A contact as the Vendorx API returns it. */
export interface VendorxContact {
  id: string;
  email: string | null;
  phone: string | null;
  first_name: string;
  last_name: string;
  updated_at: string;
}

/** GET /v1/contacts?limit=&cursor= */
export interface VendorxContactPage {
  data: VendorxContact[];
  /** After the page's last object, on the last page too (null only when nothing was ever listed). */
  next_cursor: string | null;
  has_more: boolean;
}

/** The cursor the hub saves for the contacts stream. */
export interface VendorxContactsCursor {
  cursor: string;
}
