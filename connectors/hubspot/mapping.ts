import {
  MappingError,
  type CanonicalBatch,
  type CanonicalIdentifier,
  type CanonicalInteraction,
  type CanonicalPerson,
  type PersonRef,
} from '../../src/connector-kit/index.js';
import type { HubspotObject } from './client.js';

const str = (v: string | null | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};
const defined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };

/** A contact → a person: every email/phone, the contact id, an X handle (weak: `x:handle`). */
export function mapContact(c: HubspotObject, xHandleProperty = 'twitterhandle'): CanonicalPerson {
  if (!c.id) throw new MappingError('contact without id', 'id');
  const p = c.properties;
  const identifiers: CanonicalIdentifier[] = [
    { kind: 'external', namespace: 'hubspot:contact', value: c.id },
  ];
  const email = str(p['email']);
  if (email) identifiers.push({ kind: 'email', value: email });
  // HubSpot keeps secondary addresses in one semicolon-separated property
  for (const extra of (p['hs_additional_emails'] ?? '').split(';')) {
    const e = extra.trim();
    if (e && e !== email) identifiers.push({ kind: 'email', value: e });
  }
  for (const key of ['phone', 'mobilephone']) {
    const phone = str(p[key]);
    if (phone) identifiers.push({ kind: 'phone', value: phone });
  }
  const handle = str(p[xHandleProperty]);
  if (handle) identifiers.push({ kind: 'social', namespace: 'x:handle', value: handle });
  const firstName = str(p['firstname']);
  const lastName = str(p['lastname']);
  const traits = defined({
    firstName,
    lastName,
    displayName: [firstName, lastName].filter(Boolean).join(' ') || email,
    city: str(p['city']),
    postcode: str(p['zip']),
    country: str(p['country']),
    company: str(p['company']),
    jobTitle: str(p['jobtitle']),
    dob: str(p['date_of_birth']),
  });
  return {
    objectType: 'contact',
    externalId: c.id,
    updatedAt: p['lastmodifieddate'] ?? c.updatedAt,
    deleted: c.archived === true,
    traits,
    identifiers,
    payload: c,
  };
}

function contactRef(o: HubspotObject): PersonRef | undefined {
  const first = o.associations?.contacts?.results[0];
  return first ? { objectType: 'contact', externalId: String(first.id) } : undefined;
}

function owner(o: HubspotObject): { handledBy?: { system: string; externalId: string } } {
  const id = str(o.properties['hubspot_owner_id']);
  return id ? { handledBy: { system: 'hubspot:owner', externalId: id } } : {};
}

/** A call engagement → a voice interaction on its first associated contact's timeline. */
export function mapCall(o: HubspotObject): CanonicalInteraction {
  const p = o.properties;
  const direction =
    p['hs_call_direction'] === 'INBOUND'
      ? 'inbound'
      : p['hs_call_direction'] === 'OUTBOUND'
        ? 'outbound'
        : 'internal';
  let person = contactRef(o);
  if (!person) {
    // an unassociated call can still be tied to the caller's number
    const number = str(direction === 'inbound' ? p['hs_call_from_number'] : p['hs_call_to_number']);
    if (number) person = { identifiers: [{ kind: 'phone', value: number }] };
  }
  const duration = Number(p['hs_call_duration']);
  return {
    externalId: `call:${o.id}`,
    occurredAt: p['hs_timestamp'] ?? o.createdAt,
    channel: 'voice',
    direction,
    kind: 'call',
    summary: [str(p['hs_call_title']), str(p['hs_call_body'])].filter(Boolean).join(': ') || null,
    ...(person ? { person } : {}),
    ...owner(o),
    attributes: defined({
      durationSeconds: Number.isFinite(duration) ? Math.round(duration / 1000) : undefined,
      status: str(p['hs_call_status']),
    }),
    updatedAt: p['hs_lastmodifieddate'] ?? o.updatedAt,
    deleted: o.archived === true,
  };
}

const TICKET_CHANNEL: Record<string, string> = { EMAIL: 'email', CHAT: 'chat', PHONE: 'voice', FORM: 'web' };
// stage ids of the default support pipeline: 1 new, 2 waiting on contact, 3 waiting on us, 4 closed
const TICKET_STATUS: Record<string, string> = { '1': 'new', '2': 'pending', '3': 'open', '4': 'closed' };

/** A ticket → an inbound interaction with its conversation (status from the pipeline stage). */
export function mapTicket(o: HubspotObject): CanonicalInteraction {
  const p = o.properties;
  const channel = TICKET_CHANNEL[p['source_type'] ?? ''] ?? 'crm';
  const person = contactRef(o);
  const stage = p['hs_pipeline_stage'] ?? '';
  return {
    externalId: `ticket:${o.id}`,
    occurredAt: p['createdate'] ?? o.createdAt,
    channel,
    direction: 'inbound',
    kind: 'ticket',
    summary: str(p['subject']) ?? null,
    ...(person ? { person } : {}),
    ...owner(o),
    conversation: {
      externalId: `hubspot:ticket:${o.id}`,
      channel,
      status: TICKET_STATUS[stage] ?? stage,
      subject: str(p['subject']) ?? null,
      openedAt: p['createdate'] ?? o.createdAt,
      updatedAt: p['hs_lastmodifieddate'] ?? o.updatedAt,
    },
    attributes: defined({
      priority: str(p['hs_ticket_priority']),
      pipeline: str(p['hs_pipeline']),
      stage: str(stage),
    }),
    updatedAt: p['hs_lastmodifieddate'] ?? o.updatedAt,
    deleted: o.archived === true,
  };
}

export const mapContactBatch = (c: HubspotObject, xHandleProperty?: string): CanonicalBatch => ({
  people: [mapContact(c, xHandleProperty)],
});
