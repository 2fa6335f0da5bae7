import {
  MappingError,
  type CanonicalIdentifier,
  type CanonicalInteraction,
  type CanonicalPerson,
  type PersonRef,
} from '../../src/connector-kit/index.js';
import type { StripeObject } from './client.js';

/** Metadata keys that commonly hold another system's id, and that system's namespace. */
export const DEFAULT_METADATA_IDENTIFIERS: Record<string, string> = {
  hubspot_contact_id: 'hubspot:contact',
  hubspot_id: 'hubspot:contact',
  hs_object_id: 'hubspot:contact',
  salesforce_contact_id: 'salesforce:contact',
  zendesk_user_id: 'zendesk:user',
};

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const iso = (unix: unknown): string | null =>
  typeof unix === 'number' ? new Date(unix * 1000).toISOString() : null;
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v)['id']);

function push(list: CanonicalIdentifier[], id: CanonicalIdentifier): void {
  if (!list.some((x) => x.kind === id.kind && x.namespace === id.namespace && x.value === id.value))
    list.push(id);
}

function metadataIdentifiers(metadata: unknown, keys: Record<string, string>): CanonicalIdentifier[] {
  const out: CanonicalIdentifier[] = [];
  for (const [key, value] of Object.entries(obj(metadata))) {
    const namespace = keys[key];
    const v = str(value);
    if (namespace && v) push(out, { kind: 'external', namespace, value: v });
  }
  return out;
}

/** A customer → a person (`stripe:customer`), with email, phones, metadata cross-references. */
export function mapCustomer(c: StripeObject, metadataKeys = DEFAULT_METADATA_IDENTIFIERS): CanonicalPerson {
  if (!str(c.id)) throw new MappingError('customer without id', 'id');
  const identifiers: CanonicalIdentifier[] = [
    { kind: 'external', namespace: 'stripe:customer', value: c.id },
  ];
  if (c.deleted === true && c['email'] === undefined)
    return { objectType: 'customer', externalId: c.id, deleted: true, identifiers, payload: c };
  const email = str(c['email']);
  if (email) push(identifiers, { kind: 'email', value: email });
  const shipping = obj(c['shipping']);
  for (const phone of [str(c['phone']), str(shipping['phone'])])
    if (phone) push(identifiers, { kind: 'phone', value: phone });
  for (const id of metadataIdentifiers(c['metadata'], metadataKeys)) push(identifiers, id);
  const name = str(c['name']) ?? str(shipping['name']);
  const address = obj(c['address'] ?? shipping['address']);
  const [firstName, ...rest] = (name ?? '').split(/\s+/);
  const traits: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => {
    if (v) traits[k] = v;
  };
  set('displayName', name);
  set('firstName', name && rest.length > 0 ? firstName : undefined);
  set('lastName', rest.length > 0 ? rest.join(' ') : undefined);
  set('address', [str(address['line1']), str(address['line2'])].filter(Boolean).join(', ') || undefined);
  set('city', str(address['city']));
  set('postcode', str(address['postal_code']));
  set('country', str(address['country']));
  set('company', str(obj(c['metadata'])['company']));
  return {
    objectType: 'customer',
    externalId: c.id,
    deleted: c.deleted === true,
    traits,
    identifiers,
    payload: c,
  };
}

/** The payer: the customer record, plus the email/phone on the document (kept when there is no customer). */
function payer(customer: unknown, emails: unknown[], phones: unknown[]): PersonRef | undefined {
  const identifiers: CanonicalIdentifier[] = [];
  for (const e of emails) if (str(e)) push(identifiers, { kind: 'email', value: str(e)! });
  for (const p of phones) if (str(p)) push(identifiers, { kind: 'phone', value: str(p)! });
  const id = idOf(customer);
  if (id) {
    push(identifiers, { kind: 'external', namespace: 'stripe:customer', value: id });
    return { objectType: 'customer', externalId: id, identifiers };
  }
  return identifiers.length > 0 ? { identifiers } : undefined;
}

const money = (minor: unknown, currency: unknown) =>
  typeof minor === 'number' && typeof currency === 'string'
    ? `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`
    : '';

/** An invoice → a billing interaction (kind invoice). Amounts stay in minor units, as Stripe gives them. */
export function mapInvoice(i: StripeObject): CanonicalInteraction {
  if (!str(i.id)) throw new MappingError('invoice without id (an upcoming invoice?)', 'id');
  const person = payer(i['customer'], [i['customer_email']], [i['customer_phone']]);
  const status = str(i['status']) ?? null;
  return {
    externalId: `invoice:${i.id}`,
    occurredAt: iso(i['created']) ?? new Date(0).toISOString(),
    channel: 'billing',
    direction: 'outbound',
    kind: 'invoice',
    summary: `Invoice ${str(i['number']) ?? i.id} for ${money(i['amount_due'], i['currency'])} (${status ?? 'unknown'})`,
    ...(person ? { person } : {}),
    attributes: {
      invoiceId: i.id,
      number: str(i['number']) ?? null,
      amount_due: i['amount_due'] ?? null,
      amount_paid: i['amount_paid'] ?? null,
      amount_remaining: i['amount_remaining'] ?? null,
      currency: i['currency'] ?? null,
      status,
      due_date: iso(i['due_date']),
      hosted_invoice_url: i['hosted_invoice_url'] ?? null,
      metadata: i['metadata'] ?? {},
    },
    deleted: i.deleted === true,
  };
}

/** A charge → a billing interaction (kind payment) from the customer. */
export function mapCharge(ch: StripeObject): CanonicalInteraction {
  if (!str(ch.id)) throw new MappingError('charge without id', 'id');
  const billing = obj(ch['billing_details']);
  const person = payer(ch['customer'], [billing['email'], ch['receipt_email']], [billing['phone']]);
  const captured = typeof ch['amount_captured'] === 'number' ? ch['amount_captured'] : 0;
  const refunded = typeof ch['amount_refunded'] === 'number' ? ch['amount_refunded'] : 0;
  const status = str(ch['status']) ?? (ch['paid'] === true ? 'succeeded' : null);
  return {
    externalId: `charge:${ch.id}`,
    occurredAt: iso(ch['created']) ?? new Date(0).toISOString(),
    channel: 'billing',
    direction: 'inbound',
    kind: 'payment',
    summary: `Payment of ${money(ch['amount'], ch['currency'])} ${status ?? ''}`.trim(),
    ...(person ? { person } : {}),
    attributes: {
      chargeId: ch.id,
      amount: ch['amount'] ?? null,
      amount_due: ch['amount'] ?? null,
      amount_paid: ch['paid'] === true ? captured - refunded : 0,
      amount_refunded: refunded,
      currency: ch['currency'] ?? null,
      status,
      due_date: null,
      invoice: idOf(ch['invoice']) ?? null,
      payment_intent: idOf(ch['payment_intent']) ?? null,
      failure_code: ch['failure_code'] ?? null,
      metadata: ch['metadata'] ?? {},
    },
  };
}
