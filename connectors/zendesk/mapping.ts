import {
  sentimentScore,
  type CanonicalBatch,
  type CanonicalConversation,
  type CanonicalIdentifier,
  type CanonicalInteraction,
  type CanonicalPerson,
  type EmployeeRef,
} from '../../src/connector-kit/index.js';
import type { ZendeskComment, ZendeskTicketBundle, ZendeskUser } from './client.js';

export const USER_NAMESPACE = 'zendesk:user';
const SUMMARY_LENGTH = 280;

const isStaff = (user: ZendeskUser | undefined): boolean => user?.role === 'agent' || user?.role === 'admin';

function splitName(name: string): { firstName?: string; lastName?: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return {};
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1)! };
}

/**
 * An end-user → a person. Agents and admins are staff, not customers: they map to nothing here
 * and are referred to by e-mail as `handledBy` (the HR connector owns employees).
 */
export function mapUser(user: ZendeskUser, externalIdNamespace: string): CanonicalBatch {
  if (isStaff(user)) return {};
  const identifiers: CanonicalIdentifier[] = [
    { kind: 'external', namespace: USER_NAMESPACE, value: String(user.id) },
  ];
  if (user.email) identifiers.push({ kind: 'email', value: user.email });
  if (user.phone) identifiers.push({ kind: 'phone', value: user.phone });
  if (user.external_id)
    identifiers.push({ kind: 'external', namespace: externalIdNamespace, value: user.external_id });
  const person: CanonicalPerson = {
    objectType: 'user',
    externalId: String(user.id),
    updatedAt: user.updated_at,
    deleted: !user.active,
    traits: { displayName: user.name, ...splitName(user.name) },
    identifiers,
    payload: user,
  };
  return { people: [person] };
}

function staffRef(user: ZendeskUser | undefined): EmployeeRef | undefined {
  return user && isStaff(user) && user.email
    ? { system: 'zendesk', externalId: String(user.id), email: user.email }
    : undefined;
}

/** Zendesk's `via.channel` → our channel names. */
export function ticketChannel(via: string | undefined): string {
  switch (via) {
    case 'email':
      return 'email';
    case 'voice':
      return 'voice';
    case 'chat':
    case 'native_messaging':
      return 'chat';
    case 'sms':
      return 'sms';
    case 'facebook':
    case 'twitter':
      return 'social_private';
    default:
      return 'web';
  }
}

function commentText(c: ZendeskComment): string {
  return (c.plain_body ?? c.body ?? '').trim();
}

/**
 * A ticket with its comments → a conversation, one `ticket` interaction and one `comment`
 * interaction per comment. A comment by the requester is inbound and scored for sentiment; a
 * public reply by staff is outbound; a private note is internal.
 */
export function mapTicket(bundle: ZendeskTicketBundle): CanonicalBatch {
  const { ticket, comments, users } = bundle;
  const requester = String(ticket.requester_id);
  const assignee = ticket.assignee_id === null ? undefined : users[String(ticket.assignee_id)];
  const deleted = ticket.status === 'deleted';
  const sorted = [...comments].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  const firstResponse = sorted.find(
    (c) => c.public && c.author_id !== ticket.requester_id && isStaff(users[String(c.author_id)]),
  );
  const lastInbound = sorted.filter((c) => c.author_id === ticket.requester_id).at(-1);
  const channel = ticketChannel(ticket.via?.channel);
  const assigneeRef = staffRef(assignee);

  const conversation: CanonicalConversation = {
    externalId: String(ticket.id),
    channel,
    status: ticket.status,
    subject: ticket.subject,
    openedAt: ticket.created_at,
    firstResponseAt: firstResponse?.created_at ?? null,
    lastInboundAt: lastInbound?.created_at ?? null,
    updatedAt: ticket.updated_at,
    ...(assigneeRef ? { assignee: assigneeRef } : {}),
  };
  const person = { objectType: 'user', externalId: requester };
  const submitter = ticket.submitter_id === null ? undefined : users[String(ticket.submitter_id)];
  // a ticket an agent opened on the customer's behalf (a proactive call or e-mail) is outbound
  const openedByStaff = ticket.submitter_id !== ticket.requester_id && isStaff(submitter);

  const interactions: CanonicalInteraction[] = [
    {
      externalId: `ticket:${ticket.id}`,
      occurredAt: ticket.created_at,
      channel,
      direction: openedByStaff ? 'outbound' : 'inbound',
      kind: 'ticket',
      summary: ticket.subject,
      person,
      conversation,
      updatedAt: ticket.updated_at,
      deleted,
      attributes: {
        status: ticket.status,
        priority: ticket.priority,
        type: ticket.type,
        tags: ticket.tags ?? [],
      },
      ...(assigneeRef ? { handledBy: assigneeRef } : {}),
    },
  ];
  for (const c of sorted) {
    const author = users[String(c.author_id)];
    const inbound = c.author_id === ticket.requester_id;
    const text = commentText(c);
    const handledBy = staffRef(author) ?? assigneeRef;
    interactions.push({
      externalId: `comment:${c.id}`,
      occurredAt: c.created_at,
      channel,
      direction: inbound ? 'inbound' : c.public ? 'outbound' : 'internal',
      kind: 'comment',
      summary: text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH - 1)}…` : text,
      sentiment: inbound ? sentimentScore(text) : null,
      person,
      conversation,
      updatedAt: c.created_at,
      deleted,
      attributes: {
        ticketId: ticket.id,
        public: c.public,
        authorId: c.author_id,
        authorRole: author?.role ?? null,
      },
      ...(handledBy ? { handledBy } : {}),
    });
  }
  return { interactions };
}
