export * from './signature.util.js';
export * from './stripe.signature.js';
export * from './hubspot.signature.js';
export * from './twilio.signature.js';
export * from './zendesk.signature.js';
export * from './meta.signature.js';
export * from './x.signature.js';
export * from './bamboohr.signature.js';
