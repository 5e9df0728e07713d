/**
 * HTTP header names of the API. Plain constants with no imports, so that the dashboard's page can use
 * them without bundling zod.
 */

/** Set to "1" on a job document the caller may not read in full (a private job of someone else). */
export const REDACTED_HEADER = 'x-idlegrid-redacted';
