/**
 * Request body limits per route: small by default, larger only where a body may legitimately be large. Fastify
 * answers 413 BODY_TOO_LARGE before parsing more than the limit. Every route not listed gets DEFAULT_BODY_LIMIT.
 */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** Route (method and URL template) → most bytes its body may have. */
export const BODY_LIMITS: Readonly<Record<string, number>> = {
  // A rule: expressions up to 10,000 characters each, a scope of up to 1,000 VINs per list.
  'POST /v1/rules': 256 * 1024,
  'PUT /v1/rules/:ruleId': 256 * 1024,
  'POST /v1/rules/validate': 256 * 1024,
  // Up to 1,000 fleet ids.
  'POST /v1/keys': 96 * 1024,
  // Filters: up to 1,000 entries in each of four lists.
  'POST /v1/subscriptions': 512 * 1024,
  'PATCH /v1/subscriptions/:subscriptionId': 512 * 1024,
};

export function bodyLimitOf(method: string, url: string): number {
  return BODY_LIMITS[`${method} ${url}`] ?? DEFAULT_BODY_LIMIT;
}

/** Rate-limit cost of a request: rule checks compile against every model's catalog, so they cost more. */
export const RULE_CHECK_COST = 5;
