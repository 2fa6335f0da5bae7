import type {
  CanonicalBatch,
  CanonicalIdentifier,
  CanonicalInteraction,
  CanonicalPerson,
  EmployeeRef,
  PersonRef,
  PersonTraits,
} from '../../src/connector-kit/index.js';
import { MappingError } from '../../src/connector-kit/index.js';
import type { SoqlRecord } from './client.js';

export const CONTACT_FIELDS = [
  'Id',
  'FirstName',
  'LastName',
  'Email',
  'Phone',
  'MobilePhone',
  'Birthdate',
  'Title',
  'MailingStreet',
  'MailingCity',
  'MailingPostalCode',
  'MailingCountry',
  'AccountId',
  'IsDeleted',
  'SystemModstamp',
] as const;

export const LEAD_FIELDS = [
  'Id',
  'FirstName',
  'LastName',
  'Email',
  'Phone',
  'MobilePhone',
  'Company',
  'Street',
  'City',
  'PostalCode',
  'Country',
  'Status',
  'IsConverted',
  'ConvertedContactId',
  'IsDeleted',
  'SystemModstamp',
] as const;

export const CASE_FIELDS = [
  'Id',
  'CaseNumber',
  'Subject',
  'Status',
  'Origin',
  'Priority',
  'ContactId',
  'SuppliedEmail',
  'SuppliedPhone',
  'OwnerId',
  'Owner.Email',
  'CreatedDate',
  'ClosedDate',
  'IsDeleted',
  'SystemModstamp',
] as const;

export const TASK_FIELDS = [
  'Id',
  'Subject',
  'Status',
  'TaskSubtype',
  'CallType',
  'CallDurationInSeconds',
  'WhoId',
  'OwnerId',
  'Owner.Email',
  'CreatedDate',
  'IsDeleted',
  'SystemModstamp',
] as const;

type Rec = SoqlRecord & Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

function requireId(r: Rec): string {
  const id = str(r.Id);
  if (!id) throw new MappingError('Salesforce record without Id', 'Id');
  return id;
}

/** Salesforce ids start with the object's key prefix: 003 Contact, 00Q Lead, 005 User. */
export function objectOfId(id: string): 'contact' | 'lead' | null {
  if (id.startsWith('003')) return 'contact';
  if (id.startsWith('00Q')) return 'lead';
  return null;
}

function contactIdentifiers(r: Rec): CanonicalIdentifier[] {
  const out: CanonicalIdentifier[] = [];
  const email = str(r.Email);
  if (email) out.push({ kind: 'email', value: email });
  for (const phone of [str(r.Phone), str(r.MobilePhone)])
    if (phone) out.push({ kind: 'phone', value: phone });
  return out;
}

function setTrait(traits: PersonTraits, key: string, value: unknown): void {
  const v = str(value);
  if (v) traits[key] = v;
}

function personOf(r: Rec, objectType: 'contact' | 'lead'): CanonicalPerson {
  const id = requireId(r);
  const deleted = r.IsDeleted === true;
  const traits: PersonTraits = {};
  setTrait(traits, 'firstName', r.FirstName);
  setTrait(traits, 'lastName', r.LastName);
  const display = [str(r.FirstName), str(r.LastName)].filter(Boolean).join(' ');
  if (display) traits.displayName = display;
  const identifiers: CanonicalIdentifier[] = [
    { kind: 'external', namespace: `salesforce:${objectType}`, value: id },
  ];
  if (objectType === 'contact') {
    setTrait(traits, 'dob', r.Birthdate);
    setTrait(traits, 'jobTitle', r.Title);
    setTrait(traits, 'address', r.MailingStreet);
    setTrait(traits, 'city', r.MailingCity);
    setTrait(traits, 'postcode', r.MailingPostalCode);
    setTrait(traits, 'country', r.MailingCountry);
  } else {
    setTrait(traits, 'company', r.Company);
    setTrait(traits, 'address', r.Street);
    setTrait(traits, 'city', r.City);
    setTrait(traits, 'postcode', r.PostalCode);
    setTrait(traits, 'country', r.Country);
    setTrait(traits, 'leadStatus', r.Status);
    // A converted lead names its contact: an explicit cross-reference the hub links on.
    const converted = str(r.ConvertedContactId);
    if (converted) identifiers.push({ kind: 'external', namespace: 'salesforce:contact', value: converted });
  }
  identifiers.push(...contactIdentifiers(r));
  return {
    objectType,
    externalId: id,
    updatedAt: r.SystemModstamp,
    deleted,
    traits,
    identifiers,
    payload: r,
  };
}

export const mapContact = (r: SoqlRecord): CanonicalBatch => ({ people: [personOf(r as Rec, 'contact')] });
export const mapLead = (r: SoqlRecord): CanonicalBatch => ({ people: [personOf(r as Rec, 'lead')] });

function ownerOf(r: Rec): EmployeeRef | undefined {
  const email = str((r.Owner as { Email?: unknown } | null | undefined)?.Email);
  const ownerId = str(r.OwnerId);
  // Staff are matched to HR by their work email; the Salesforce user id is kept as well.
  if (email) return { system: 'salesforce', ...(ownerId ? { externalId: ownerId } : {}), email };
  return ownerId ? { system: 'salesforce', externalId: ownerId } : undefined;
}

function whoRef(id: string | null, fallback: CanonicalIdentifier[]): PersonRef | undefined {
  const type = id ? objectOfId(id) : null;
  if (id && type) return { objectType: type, externalId: id };
  return fallback.length > 0 ? { identifiers: fallback } : undefined;
}

const CASE_CHANNELS: Record<string, string> = { Phone: 'voice', Email: 'email', Web: 'web', Chat: 'chat' };

export function mapCase(record: SoqlRecord): CanonicalBatch {
  const r = record as Rec;
  const id = requireId(r);
  const channel = CASE_CHANNELS[str(r.Origin) ?? ''] ?? 'crm';
  const supplied: CanonicalIdentifier[] = [];
  if (str(r.SuppliedEmail)) supplied.push({ kind: 'email', value: str(r.SuppliedEmail) as string });
  if (str(r.SuppliedPhone)) supplied.push({ kind: 'phone', value: str(r.SuppliedPhone) as string });
  const person = whoRef(str(r.ContactId), supplied);
  const handledBy = ownerOf(r);
  const openedAt = str(r.CreatedDate) ?? r.SystemModstamp;
  const interaction: CanonicalInteraction = {
    externalId: id,
    occurredAt: openedAt,
    channel,
    direction: 'inbound',
    kind: 'ticket',
    summary: str(r.Subject),
    updatedAt: r.SystemModstamp,
    deleted: r.IsDeleted === true,
    conversation: {
      externalId: `case:${id}`,
      channel,
      status: (str(r.Status) ?? 'New').toLowerCase(),
      subject: str(r.Subject),
      openedAt,
      updatedAt: r.SystemModstamp,
      ...(handledBy ? { assignee: handledBy } : {}),
    },
    attributes: {
      caseNumber: r.CaseNumber ?? null,
      priority: r.Priority ?? null,
      status: r.Status ?? null,
      closedAt: r.ClosedDate ?? null,
    },
    ...(person ? { person } : {}),
    ...(handledBy ? { handledBy } : {}),
  };
  return { interactions: [interaction] };
}

export function mapTask(record: SoqlRecord): CanonicalBatch {
  const r = record as Rec;
  const id = requireId(r);
  const subtype = str(r.TaskSubtype) ?? 'Task';
  const channel = subtype === 'Call' ? 'voice' : subtype === 'Email' ? 'email' : 'crm';
  const kind = subtype === 'Call' ? 'call' : subtype === 'Email' ? 'email' : 'note';
  const callType = str(r.CallType);
  const direction =
    callType === 'Inbound'
      ? 'inbound'
      : callType === 'Outbound' || subtype === 'Email'
        ? 'outbound'
        : 'internal';
  const person = whoRef(str(r.WhoId), []);
  const handledBy = ownerOf(r);
  const interaction: CanonicalInteraction = {
    externalId: id,
    occurredAt: str(r.CreatedDate) ?? r.SystemModstamp,
    channel,
    direction,
    kind,
    summary: str(r.Subject),
    updatedAt: r.SystemModstamp,
    deleted: r.IsDeleted === true,
    attributes: { status: r.Status ?? null, durationSeconds: r.CallDurationInSeconds ?? null },
    ...(person ? { person } : {}),
    ...(handledBy ? { handledBy } : {}),
  };
  return { interactions: [interaction] };
}
