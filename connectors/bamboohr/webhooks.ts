import { createHash } from 'node:crypto';
import type {
  CanonicalBatch,
  ConnectorContext,
  WebhookDefinition,
  WebhookEvent,
  WebhookRequest,
} from '../../src/connector-kit/index.js';
import { verifyBambooHr, WebhookVerificationError } from '../../src/connector-kit/index.js';
import { employeesByIds, type BambooHrConfig } from './client.js';
import { mapEmployee } from './mapping.js';

/** What one event carries once parsed: which employee, what happened and when. */
export interface BambooHrEventPayload {
  employeeId: string;
  action: 'created' | 'updated' | 'deleted';
  timestamp: string;
  changedFields?: string[];
}

const ACTIONS: Record<string, BambooHrEventPayload['action']> = {
  'employee.created': 'created',
  'employee.updated': 'updated',
  'employee.deleted': 'deleted',
  inserted: 'created',
  created: 'created',
  updated: 'updated',
  deleted: 'deleted',
};

/** BambooHR sends no event id: one is derived from what makes a delivery unique. */
function eventId(p: BambooHrEventPayload): string {
  const digest = createHash('sha256')
    .update(`${p.action}|${p.employeeId}|${p.timestamp}|${(p.changedFields ?? []).join(',')}`)
    .digest('hex')
    .slice(0, 32);
  return `bamboohr:${digest}`;
}

function toEvent(p: BambooHrEventPayload): WebhookEvent {
  return { id: eventId(p), type: `employee.${p.action}`, payload: p };
}

/**
 * Two payload shapes: event-based (`{ type: 'employee.updated', timestamp, data: { employeeId,
 * changedFields } }`, per the OpenAPI document's Employee*WebhookPayload) and the older
 * field-based one (`{ employees: [{ id, action, timestamp, changedFields }] }`).
 */
export function parseBambooHrBody(raw: Buffer): WebhookEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Error('BambooHR webhook body is not JSON');
  }
  if (typeof body !== 'object' || body === null) throw new Error('BambooHR webhook body is not an object');
  const b = body as {
    type?: unknown;
    timestamp?: unknown;
    data?: { employeeId?: unknown; changedFields?: unknown };
    employees?: unknown;
  };
  if (typeof b.type === 'string') {
    const action = ACTIONS[b.type];
    const employeeId = b.data?.employeeId;
    if (!action || (typeof employeeId !== 'string' && typeof employeeId !== 'number'))
      throw new Error(`unsupported BambooHR event ${b.type}`);
    const p: BambooHrEventPayload = {
      employeeId: String(employeeId),
      action,
      timestamp: typeof b.timestamp === 'string' ? b.timestamp : '',
    };
    if (Array.isArray(b.data?.changedFields)) p.changedFields = b.data.changedFields.map(String);
    return [toEvent(p)];
  }
  if (Array.isArray(b.employees)) {
    return b.employees.map(
      (e: { id?: unknown; action?: unknown; timestamp?: unknown; changedFields?: unknown }) => {
        const action = typeof e.action === 'string' ? ACTIONS[e.action.toLowerCase()] : undefined;
        if ((typeof e.id !== 'string' && typeof e.id !== 'number') || !action)
          throw new Error('BambooHR field-based webhook entry without id or action');
        const p: BambooHrEventPayload = {
          employeeId: String(e.id),
          action,
          timestamp: typeof e.timestamp === 'string' ? e.timestamp : '',
        };
        if (Array.isArray(e.changedFields)) p.changedFields = e.changedFields.map(String);
        return toEvent(p);
      },
    );
  }
  throw new Error('unrecognised BambooHR webhook body');
}

export const bamboohrWebhooks: WebhookDefinition<BambooHrConfig> = {
  verify(req: WebhookRequest, { credentials, nowMs }) {
    const secret = credentials.webhookPrivateKey;
    if (!secret)
      throw new WebhookVerificationError('missing_signature', 'no BambooHR webhook private key configured');
    verifyBambooHr({ payload: req.rawBody, headers: req.headers, secret, nowMs });
  },
  parse: (req) => parseBambooHrBody(req.rawBody),
  // Payloads carry only the id and changed field names: the current record is read back.
  async map(event: WebhookEvent, ctx: ConnectorContext<BambooHrConfig>): Promise<CanonicalBatch> {
    const p = event.payload as BambooHrEventPayload;
    if (p.action === 'deleted')
      return mapEmployee({ employeeId: p.employeeId, deleted: true, lastChanged: p.timestamp });
    const [employee] = await employeesByIds(ctx, [p.employeeId]);
    if (!employee) return {};
    return mapEmployee({ ...employee, ...(p.timestamp ? { lastChanged: p.timestamp } : {}) });
  },
};
