import {
  MappingError,
  sentimentScore,
  type CanonicalBatch,
  type CanonicalInteraction,
  type CanonicalPerson,
} from '../../src/connector-kit/index.js';
import { oneToOneConversationId, type XDmEvent, type XPost, type XUser } from './client.js';

/** A mention as the stream yields it: the post with its author from `includes.users`. */
export interface XMentionItem {
  post: XPost;
  author: XUser | null;
}

/** A DM event with the users X expanded for it (sender and participants). */
export interface XDmItem {
  event: XDmEvent;
  users: XUser[];
}

export const X_PERSON_OBJECT = 'user';

/**
 * The X user id is the identity (stable). The current handle is also stated, in the `x:handle`
 * namespace, because that is what CRMs store (HubSpot's twitterhandle): it joins the X account
 * to the CRM contact while both say the same handle; the user id keeps the account stable after
 * a rename.
 */
export function mapXUser(user: XUser): CanonicalPerson {
  const traits: CanonicalPerson['traits'] = { xHandle: user.username };
  if (user.name) traits.displayName = user.name;
  if (user.location) traits.city = user.location;
  return {
    objectType: X_PERSON_OBJECT,
    externalId: user.id,
    traits,
    identifiers: [
      { kind: 'social', namespace: 'x', value: user.id },
      ...(user.username ? [{ kind: 'social' as const, namespace: 'x:handle', value: user.username }] : []),
    ],
    payload: user,
  };
}

export function mapMention(item: XMentionItem): CanonicalBatch {
  const { post, author } = item;
  const authorId = post.author_id ?? author?.id;
  if (!authorId) throw new MappingError(`post ${post.id} has no author_id`, 'author_id');
  if (!post.created_at) throw new MappingError(`post ${post.id} has no created_at`, 'created_at');
  const attributes: Record<string, unknown> = {};
  if (post.conversation_id) attributes.postConversationId = post.conversation_id;
  if (post.in_reply_to_user_id) attributes.inReplyToUserId = post.in_reply_to_user_id;
  if (post.lang) attributes.lang = post.lang;
  if (author) attributes.url = `https://x.com/${author.username}/status/${post.id}`;
  const interaction: CanonicalInteraction = {
    externalId: `post:${post.id}`,
    occurredAt: post.created_at,
    channel: 'social_public',
    direction: 'inbound',
    kind: 'post',
    summary: post.text,
    sentiment: sentimentScore(post.text),
    person: { objectType: X_PERSON_OBJECT, externalId: authorId },
    attributes,
  };
  return { people: author ? [mapXUser(author)] : [], interactions: [interaction] };
}

/**
 * A DM from or to the account: inbound when someone else sent it. The person is the other
 * participant; the conversation is X's `dm_conversation_id`.
 */
export function mapDm(item: XDmItem, ownUserId: string): CanonicalBatch {
  const { event, users } = item;
  if (event.event_type !== 'MessageCreate') return {};
  if (!event.sender_id) throw new MappingError(`DM event ${event.id} has no sender_id`, 'sender_id');
  if (!event.created_at) throw new MappingError(`DM event ${event.id} has no created_at`, 'created_at');
  const inbound = event.sender_id !== ownUserId;
  const otherId = inbound
    ? event.sender_id
    : (event.participant_ids?.find((id) => id !== ownUserId) ??
      otherFromConversationId(event.dm_conversation_id, ownUserId));
  if (!otherId)
    throw new MappingError(
      `DM event ${event.id}: cannot tell who the other participant is`,
      'participant_ids',
    );
  const conversationId = event.dm_conversation_id ?? oneToOneConversationId(event.sender_id, otherId);
  const other = users.find((u) => u.id === otherId);
  const text = event.text ?? '';
  const interaction: CanonicalInteraction = {
    externalId: `dm:${event.id}`,
    occurredAt: event.created_at,
    channel: 'social_private',
    direction: inbound ? 'inbound' : 'outbound',
    kind: 'message',
    summary: text,
    sentiment: inbound ? sentimentScore(text) : null,
    person: { objectType: X_PERSON_OBJECT, externalId: otherId },
    conversation: {
      externalId: conversationId,
      channel: 'social_private',
      // X has no reply window on DMs: an open conversation can be answered at any time.
      replyWindowEndsAt: null,
      ...(inbound ? { lastInboundAt: event.created_at } : {}),
      updatedAt: event.created_at,
    },
    attributes: { platform: 'x' },
  };
  return { people: other ? [mapXUser(other)] : [], interactions: [interaction] };
}

function otherFromConversationId(conversationId: string | undefined, ownUserId: string): string | undefined {
  const parts = conversationId?.split('-') ?? [];
  return parts.length === 2 ? parts.find((p) => p !== ownUserId) : undefined;
}
