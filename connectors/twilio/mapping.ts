import type {
  CanonicalBatch,
  CanonicalInteraction,
  InteractionDirection,
} from '../../src/connector-kit/index.js';
import { parseTwilioDate, type TwilioCall } from './client.js';

/** Twilio's `direction` → ours: `outbound-api` (REST-created) and `outbound-dial` (<Dial> leg) are both outbound. */
export function callDirection(direction: string): InteractionDirection {
  switch (direction) {
    case 'inbound':
    case 'trunking-originating':
      return 'inbound';
    case 'outbound-api':
    case 'outbound-dial':
    case 'trunking-terminating':
      return 'outbound';
    default:
      return 'internal';
  }
}

// caller ids may be `client:alice`, `sip:...` or `Anonymous`: only real numbers identify a person
const PHONE_LIKE = /^\+?[0-9][0-9 ()-]{5,}$/;
// the numbers Twilio reports for withheld, restricted, unknown, blocked and unavailable caller ids
const WITHHELD = new Set(['+266696687', '+7378742833', '+8656696', '+2562533', '+86282452253']);

/** The customer's side of the call: the caller for inbound calls, the callee for outbound ones. */
export function customerPhone(call: Pick<TwilioCall, 'direction' | 'from' | 'to'>): string | null {
  const value = callDirection(call.direction) === 'outbound' ? call.to : call.from;
  const phone = value?.trim();
  return phone && PHONE_LIKE.test(phone) && !WITHHELD.has(phone) ? phone : null;
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

export function callSummary(call: TwilioCall, duration: number | null): string {
  const dir = callDirection(call.direction);
  const label = dir === 'inbound' ? 'Inbound call' : dir === 'outbound' ? 'Outbound call' : 'Call';
  return duration === null
    ? `${label}, ${call.status}`
    : `${label}, ${call.status}, ${formatDuration(duration)}`;
}

/** A Call → one voice interaction keyed by the CallSid, attached to the customer's phone. */
export function mapCall(call: TwilioCall): CanonicalBatch {
  const durationNumber = call.duration === null || call.duration === undefined ? null : Number(call.duration);
  const duration = durationNumber !== null && Number.isFinite(durationNumber) ? durationNumber : null;
  const occurredAt = parseTwilioDate(call.start_time) ?? parseTwilioDate(call.date_created) ?? new Date(0);
  const phone = customerPhone(call);
  const interaction: CanonicalInteraction = {
    externalId: call.sid,
    occurredAt,
    channel: 'voice',
    direction: callDirection(call.direction),
    kind: 'call',
    summary: callSummary(call, duration),
    updatedAt: parseTwilioDate(call.date_updated),
    attributes: {
      status: call.status,
      duration,
      twilioDirection: call.direction,
      from: call.from,
      to: call.to,
      endedAt: parseTwilioDate(call.end_time)?.toISOString() ?? null,
      ...(call.parent_call_sid ? { parentCallSid: call.parent_call_sid } : {}),
      ...(call.answered_by ? { answeredBy: call.answered_by } : {}),
    },
  };
  if (phone) interaction.person = { identifiers: [{ kind: 'phone', value: phone }] };
  return { interactions: [interaction] };
}
