import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './connection.type.js';

export enum TimelineOrder {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}
registerEnumType(TimelineOrder, { name: 'TimelineOrder', description: 'Order of a timeline page' });

@ObjectType({ simpleResolvers: true, description: 'One touch in any system: a call, ticket comment, post, DM, invoice, payment, note' })
export class Interaction {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Connector instance the interaction came from' })
  system!: string;

  @Field()
  externalId!: string;

  @Field()
  occurredAt!: Date;

  @Field({ description: 'voice, email, chat, sms, social_public, social_private, web, billing, crm' })
  channel!: string;

  @Field({ description: 'inbound, outbound or internal' })
  direction!: string;

  @Field({ description: 'call, ticket, comment, post, message, invoice, payment, note...' })
  kind!: string;

  @Field(() => String, { nullable: true })
  summary!: string | null;

  @Field(() => Float, { nullable: true, description: 'Sentiment from -1 (negative) to 1 (positive)' })
  sentiment!: number | null;

  @Field(() => GraphQLJSONObject, { description: 'Source-specific attributes (status, amount, duration...)' })
  attributes!: Record<string, unknown>;

  /** Internal: resolvers use them, the schema does not expose them directly. */
  customerId!: string | null;
  handledByEmployeeId!: string | null;
  conversationId!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class InteractionEdge {
  @Field()
  cursor!: string;

  @Field(() => Interaction)
  node!: Interaction;
}

@ObjectType({ simpleResolvers: true, description: 'A page of a customer timeline' })
export class InteractionConnection {
  @Field(() => [InteractionEdge])
  edges!: InteractionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'Narrows a timeline; every list is an OR within itself, the parts are ANDed' })
export class TimelineFilter {
  @Field(() => [String], { nullable: true, description: 'voice, email, chat, sms, social_public, social_private, web, billing, crm' })
  channels?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Connector instances, e.g. zendesk, twilio' })
  systems?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'call, ticket, comment, post, message, invoice, payment...' })
  kinds?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'From this time (inclusive)' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Up to this time (exclusive)' })
  to?: Date | null;
}
