/** The connector kit's public API: the only module a connector imports from the hub. */
export * from './canonical.js';
export * from './contract.js';
export * from './http/index.js';
export * from './webhooks/index.js';
export * from './sentiment.js';
