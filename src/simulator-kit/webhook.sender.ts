export interface SendWebhookInput {
  url: string;
  /** an object is sent as JSON; a string is sent as is */
  body?: unknown;
  /** form parameters (Twilio style), sent as application/x-www-form-urlencoded instead of `body` */
  form?: Readonly<Record<string, string>>;
  headers?: Readonly<Record<string, string>>;
  /** signs the exact bytes sent; its headers are added (e.g. `raw => signStripe({ payload: raw, secret })`) */
  sign?: (rawBody: string) => Record<string, string>;
  method?: string;
  timeoutMs?: number;
}

export interface SendWebhookResult {
  status: number;
  headers: Headers;
  text: string;
  /** the exact body sent, for tests that re-verify it */
  rawBody: string;
}

/** POSTs a (signed) event to the hub, as a vendor would deliver it. */
export async function sendWebhook(input: SendWebhookInput): Promise<SendWebhookResult> {
  let rawBody: string;
  let contentType: string;
  if (input.form) {
    rawBody = new URLSearchParams(input.form as Record<string, string>).toString();
    contentType = 'application/x-www-form-urlencoded';
  } else {
    rawBody = typeof input.body === 'string' ? input.body : JSON.stringify(input.body ?? {});
    contentType = 'application/json';
  }
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'touchpoint-simulator/1',
    ...input.headers,
    ...input.sign?.(rawBody),
  };
  const res = await fetch(input.url, {
    method: input.method ?? 'POST',
    headers,
    body: rawBody,
    signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text(), rawBody };
}
