import fs from 'node:fs';

/**
 * Connector credentials come from the environment or a secrets file, never from the database or
 * the API. Environment: `TOUCHPOINT_SECRET_<INSTANCE>_<NAME>` (upper case, non-alphanumerics as
 * `_`), e.g. TOUCHPOINT_SECRET_HUBSPOT_MAIN_ACCESS_TOKEN. File (SECRETS_FILE): JSON
 * `{ "<instance>": { "<name>": "<value>" } }`. The environment wins.
 */
export function loadConnectorSecrets(
  instanceId: string,
  options: { env?: NodeJS.ProcessEnv; secretsFile?: string | undefined } = {},
): Record<string, string> {
  const env = options.env ?? process.env;
  const out: Record<string, string> = {};
  if (options.secretsFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(options.secretsFile, 'utf8'));
    } catch (err) {
      // Never echo the file's content: it is all secrets.
      throw new Error(
        `SECRETS_FILE ${options.secretsFile} cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`,
      );
    }
    const section = (parsed as Record<string, unknown>)[instanceId];
    if (section && typeof section === 'object') {
      for (const [k, v] of Object.entries(section as Record<string, unknown>))
        if (typeof v === 'string') out[k] = v;
    }
  }
  const prefix = `TOUCHPOINT_SECRET_${instanceId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(prefix) || v === undefined) continue;
    const name = k
      .slice(prefix.length)
      .toLowerCase()
      .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    out[name] = v;
  }
  return out;
}

/** Replaces any known secret value in a text (an upstream error message, say) before it is logged or returned. */
export function redactSecrets(text: string, secrets: Record<string, string>): string {
  let out = text;
  for (const v of Object.values(secrets)) if (v.length >= 4) out = out.split(v).join('[redacted]');
  return out;
}
