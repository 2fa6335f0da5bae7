import type { ConnectorDefinition } from '../src/connector-kit/index.js';
import meta from './meta/index.js';
import x from './x/index.js';
import zendesk from './zendesk/index.js';
import twilio from './twilio/index.js';
import bamboohr from './bamboohr/index.js';
import csv from './csv/index.js';
import salesforce from './salesforce/index.js';
import hubspot from './hubspot/index.js';
import stripe from './stripe/index.js';

/** The static registry of built-in connectors (CONVENTIONS 4). */
export const connectors = {
  hubspot,
  stripe,
  salesforce,
  bamboohr,
  meta,
  x,
  twilio,
  zendesk,
  csv,
} as const satisfies Record<string, ConnectorDefinition<any>>;
