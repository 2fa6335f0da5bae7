import { z } from 'zod';

export const xConfigSchema = z.object({
  /** The brand account whose mentions and DMs are read (a numeric X user id, not the handle). */
  userId: z.string().regex(/^[0-9]{1,19}$/, 'userId must be the numeric X user id'),
  /** Override of https://api.x.com (simulators, proxies). */
  baseUrl: z.string().url().optional(),
  /** Page size: mentions accept 5–100, dm_events 1–100. */
  maxResults: z.number().int().min(5).max(100).default(100),
  /** X signs no timestamp; deliveries whose events are older than this are refused as replays. */
  webhookReplayWindowSeconds: z.number().int().positive().default(3600),
});

export type XConfig = z.infer<typeof xConfigSchema>;
