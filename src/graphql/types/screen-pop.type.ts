import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Customer } from './customer.type.js';
import { Interaction } from './interaction.type.js';

@ObjectType({ simpleResolvers: true, description: 'A member of staff who dealt with the customer' })
export class EmployeeRef {
  @Field(() => ID)
  id!: string;

  @Field()
  displayName!: string;

  @Field(() => String, { nullable: true })
  department!: string | null;

  @Field(() => String, { nullable: true })
  title!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A thread on one channel: a ticket, a DM thread' })
export class Conversation {
  @Field(() => ID)
  id!: string;

  @Field()
  system!: string;

  @Field()
  externalId!: string;

  @Field()
  channel!: string;

  @Field()
  status!: string;

  @Field(() => String, { nullable: true })
  subject!: string | null;

  @Field()
  openedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the platform stops accepting a reply (Meta: 24 h after the last inbound message)' })
  replyWindowEndsAt!: Date | null;

  @Field(() => Date, { nullable: true })
  slaDueAt!: Date | null;

  @Field(() => EmployeeRef, { nullable: true })
  assignee!: EmployeeRef | null;
}

@ObjectType({ simpleResolvers: true, description: 'Who dealt with this customer, through which channels, and when last' })
export class TouchPoint {
  @Field(() => EmployeeRef)
  employee!: EmployeeRef;

  @Field(() => [String])
  channels!: string[];

  @Field()
  lastAt!: Date;

  @Field()
  interactions!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Everything a call-centre screen needs when a phone rings' })
export class ScreenPop {
  @Field(() => Customer)
  customer!: Customer;

  @Field(() => [Interaction], { description: 'The most recent interactions across all channels, newest first' })
  recentInteractions!: Interaction[];

  @Field(() => [Conversation], { description: 'Open tickets and conversations' })
  openConversations!: Conversation[];

  @Field(() => [Conversation], { description: 'Conversations whose reply window is still open' })
  openReplyWindows!: Conversation[];

  @Field(() => EmployeeRef, { nullable: true, description: 'The last employee who dealt with this customer' })
  lastEmployee!: EmployeeRef | null;
}

@ObjectType({ simpleResolvers: true, description: 'Billing status from the billing systems, fetched live (stored value when a source fails)' })
export class BillingStatus {
  @Field(() => Float, { description: 'Open balance in the currency’s minor unit (e.g. pence, cents)' })
  openBalance!: number;

  @Field(() => String, { nullable: true })
  currency!: string | null;

  @Field(() => Int)
  overdueInvoices!: number;

  @Field(() => [String], { description: 'Connector instances the figures came from' })
  sources!: string[];

  @Field({ description: 'When the oldest figure was fetched' })
  asOf!: Date;

  @Field({ description: 'True when a source failed or was late and its stored value is shown (see extensions.stale)' })
  stale!: boolean;
}
