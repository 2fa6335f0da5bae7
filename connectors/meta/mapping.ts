import {
  MappingError,
  sentimentScore,
  type CanonicalBatch,
  type CanonicalInteraction,
  type CanonicalPerson,
} from '../../src/connector-kit/index.js';
import {
  graphTime,
  type GraphConversation,
  type GraphMessage,
  type GraphParticipant,
  type MetaPlatform,
} from './client.js';

const DAY_MS = 86_400_000;
/** Standard messaging window: replies allowed for 24 h after the person's last message. */
export const REPLY_WINDOW_MS = DAY_MS;
/** With the HUMAN_AGENT message tag a person (not a bot) may answer for 7 days. */
export const HUMAN_AGENT_WINDOW_MS = 7 * DAY_MS;

/** One conversation as the stream yields it, with every message fetched. */
export interface MetaConversationItem {
  platform: MetaPlatform;
  /** the Page id (messenger) or Instagram account id the ids are scoped to */
  scopeId: string;
  conversation: GraphConversation;
  messages: GraphMessage[];
}

export const namespaceFor = (platform: MetaPlatform, scopeId: string) =>
  platform === 'messenger' ? `facebook:page:${scopeId}` : `instagram:business:${scopeId}`;
export const objectTypeFor = (platform: MetaPlatform) =>
  platform === 'messenger' ? 'page_scoped_user' : 'instagram_scoped_user';
/** One thread per person per Page / account, so polled and pushed messages land in one conversation. */
export const conversationKey = (platform: MetaPlatform, scopeId: string, userId: string) =>
  `${namespaceFor(platform, scopeId)}:${userId}`;

/** A page- or Instagram-scoped id is an identity in its own scope only: the same human has another id per Page. */
export function mapParticipant(
  platform: MetaPlatform,
  scopeId: string,
  p: GraphParticipant,
): CanonicalPerson {
  const traits: CanonicalPerson['traits'] = {};
  if (p.name) traits.displayName = p.name;
  if (p.username) {
    traits.instagramUsername = p.username;
    traits.displayName ??= p.username;
  }
  return {
    objectType: objectTypeFor(platform),
    externalId: `${scopeId}:${p.id}`,
    traits,
    identifiers: [{ kind: 'social', namespace: namespaceFor(platform, scopeId), value: p.id }],
    payload: p,
  };
}

export function mapConversation(item: MetaConversationItem): CanonicalBatch {
  const { platform, scopeId, conversation } = item;
  const other = conversation.participants?.data.find((p) => p.id !== scopeId);
  if (!other)
    throw new MappingError(
      `conversation ${conversation.id} has no participant besides ${scopeId}`,
      'participants',
    );
  const messages = [...item.messages].sort(
    (a, b) => Date.parse(graphTime(a.created_time)) - Date.parse(graphTime(b.created_time)),
  );
  const inbound = messages.filter((m) => m.from?.id !== scopeId);
  const lastInbound = inbound.at(-1);
  const lastInboundMs = lastInbound ? Date.parse(graphTime(lastInbound.created_time)) : null;
  const firstInboundMs = inbound[0] ? Date.parse(graphTime(inbound[0].created_time)) : null;
  const firstResponse =
    firstInboundMs === null
      ? undefined
      : messages.find(
          (m) => m.from?.id === scopeId && Date.parse(graphTime(m.created_time)) >= firstInboundMs,
        );
  const conv = {
    externalId: conversationKey(platform, scopeId, other.id),
    channel: 'social_private',
    ...(messages[0] ? { openedAt: graphTime(messages[0].created_time) } : {}),
    lastInboundAt: lastInboundMs === null ? null : new Date(lastInboundMs).toISOString(),
    firstResponseAt: firstResponse ? graphTime(firstResponse.created_time) : null,
    replyWindowEndsAt:
      lastInboundMs === null ? null : new Date(lastInboundMs + REPLY_WINDOW_MS).toISOString(),
    updatedAt: graphTime(conversation.updated_time),
  };
  const attributes = {
    platform,
    graphConversationId: conversation.id,
    humanAgentWindowEndsAt:
      lastInboundMs === null ? null : new Date(lastInboundMs + HUMAN_AGENT_WINDOW_MS).toISOString(),
  };
  const interactions: CanonicalInteraction[] = messages.map((m) => {
    const isInbound = m.from?.id !== scopeId;
    const text = m.message ?? '';
    return {
      externalId: m.id,
      occurredAt: graphTime(m.created_time),
      channel: 'social_private',
      direction: isInbound ? 'inbound' : 'outbound',
      kind: 'message',
      summary: text,
      sentiment: isInbound ? sentimentScore(text) : null,
      person: { objectType: objectTypeFor(platform), externalId: `${scopeId}:${other.id}` },
      conversation: conv,
      attributes,
    };
  });
  return { people: [mapParticipant(platform, scopeId, other)], interactions };
}
