import { z } from 'zod';

export const metaConfigSchema = z.object({
  /** The Facebook Page whose Messenger conversations are read. */
  pageId: z.string().regex(/^[0-9]+$/, 'pageId must be the numeric Page id'),
  /** The Instagram professional account linked to the Page; omit to skip Instagram. */
  instagramBusinessId: z
    .string()
    .regex(/^[0-9]+$/)
    .optional(),
  graphVersion: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v21.0'),
  pageSize: z.number().int().min(1).max(100).default(25),
  /** Meta retries failed deliveries for up to 36 hours; older signed entries are refused as replays. */
  webhookReplayWindowSeconds: z
    .number()
    .int()
    .positive()
    .default(36 * 3600),
});

export type MetaConfig = z.infer<typeof metaConfigSchema>;
