/**
 * Canonical records: what every connector's mapping produces and the hub's apply path consumes.
 * Connectors never write to the database; they return these.
 */

export type IdentifierKind = 'email' | 'phone' | 'social' | 'external';

/** An identifier as the source states it; the hub normalises it (E.164, lower-case, plus-tags...). */
export interface CanonicalIdentifier {
  kind: IdentifierKind;
  /**
   * '' (or omitted) for email and phone; the platform and its scope for social
   * (`x`, `facebook:page:<pageId>`, `instagram:business:<id>`); `system:object` for external ids
   * and cross-references (`hubspot:contact`, `stripe:customer`).
   */
  namespace?: string;
  value: string;
}

/** Person traits the golden record is built from. All optional; unknown keys are kept as-is. */
export interface PersonTraits {
  firstName?: string;
  lastName?: string;
  displayName?: string;
  dob?: string;
  city?: string;
  address?: string;
  postcode?: string;
  country?: string;
  company?: string;
  jobTitle?: string;
  [trait: string]: unknown;
}

/** A person-like object in one system (a contact, a lead, a Stripe customer, an X user...). */
export interface CanonicalPerson {
  objectType: string;
  externalId: string;
  /** The source's own modification time: older versions never overwrite newer ones. */
  updatedAt?: Date | string | null;
  deleted?: boolean;
  traits?: PersonTraits;
  identifiers: CanonicalIdentifier[];
  /** The raw vendor object, kept on the source record. */
  payload?: unknown;
}

/** Who a touch belongs to: a person record of this system, or just identifiers (a caller's phone). */
export type PersonRef =
  | { objectType: string; externalId: string }
  | { identifiers: CanonicalIdentifier[]; objectType?: string; externalId?: string };

/** The employee who handled a touch, by HR id, work email or a platform handle. */
export interface EmployeeRef {
  system?: string;
  externalId?: string;
  email?: string;
  handle?: { platform: string; value: string };
}

export interface CanonicalConversation {
  externalId: string;
  channel: string;
  status?: string;
  subject?: string | null;
  openedAt?: Date | string;
  firstResponseAt?: Date | string | null;
  lastInboundAt?: Date | string | null;
  /** When the platform stops accepting replies (Meta: 24 h after the last inbound, 7 days with human-agent tag). */
  replyWindowEndsAt?: Date | string | null;
  slaDueAt?: Date | string | null;
  assignee?: EmployeeRef;
  updatedAt?: Date | string | null;
}

export type InteractionDirection = 'inbound' | 'outbound' | 'internal';

/** One touch: a call, a ticket comment, a post, a DM, an invoice, a payment, a note. */
export interface CanonicalInteraction {
  externalId: string;
  occurredAt: Date | string;
  /** voice | email | chat | sms | social_public | social_private | web | billing | crm */
  channel: string;
  direction: InteractionDirection;
  /** call | ticket | comment | post | message | invoice | payment | note | deal ... */
  kind: string;
  summary?: string | null;
  sentiment?: number | null;
  person?: PersonRef;
  handledBy?: EmployeeRef;
  conversation?: CanonicalConversation;
  attributes?: Record<string, unknown>;
  updatedAt?: Date | string | null;
  deleted?: boolean;
}

/** A member of staff (from HR systems). */
export interface CanonicalEmployee {
  externalId: string;
  displayName: string;
  title?: string | null;
  department?: string | null;
  managerExternalId?: string | null;
  workEmails?: string[];
  handles?: Record<string, string>;
  status?: string;
  updatedAt?: Date | string | null;
}

/** What one vendor object maps to. Any part may be empty. */
export interface CanonicalBatch {
  people?: CanonicalPerson[];
  interactions?: CanonicalInteraction[];
  employees?: CanonicalEmployee[];
}
