import { z } from 'zod';
import type { FieldLocations } from '../http/grpcToProblem.js';

/**
 * The one translation of a page between this API (`limit` and `cursor` in the query,
 * `items` and `nextCursor` in the answer) and patient-rpc (`page_size`, `page_token`,
 * `next_page_token`). The cursor is patient-rpc's token as it is: opaque here.
 */

/** Where patient-rpc's page fields came from, for the field paths of its INVALID_ARGUMENT answers. */
export const PAGE_FIELDS = { page_token: 'query.cursor', page_size: 'query.limit' } as const satisfies FieldLocations;

/** A validated list query's page, as patient-rpc takes it. */
export function pageRequest(query: { limit: number; cursor?: string | undefined }): {
  pageSize: number;
  pageToken: string;
} {
  return { pageSize: query.limit, pageToken: query.cursor ?? '' };
}

/** A page as this API answers it; `nextCursor` only when there is a next page. */
export function pageJson<T>(items: T[], nextPageToken: string): { items: T[]; nextCursor?: string } {
  return { items, ...(nextPageToken && { nextCursor: nextPageToken }) };
}

/** The response schema of a page of `item` (for /openapi.json), registered as `id`. */
export function pageSchema(item: z.ZodType, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() }).meta({ id });
}
