import { GraphQLError } from 'graphql';

/**
 * The closed set of error codes the API returns. Every code maps to one HTTP-ish meaning and a
 * default message; the compiler checks the table is complete (`satisfies`).
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_HTTP_ERROR'
  | 'UPSTREAM_AUTH'
  | 'UPSTREAM_NETWORK'
  | 'INTERNAL_SERVER_ERROR';

export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, message: 'The request has a bad argument' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required' },
  FORBIDDEN: { status: 403, message: 'Not allowed for this role' },
  CONFLICT: { status: 409, message: 'The change conflicts with the current state' },
  RATE_LIMITED: { status: 429, message: 'Too many requests for this key' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The query exceeds a limit' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'A source system did not answer in time' },
  UPSTREAM_RATE_LIMITED: { status: 503, message: 'A source system is rate-limiting the hub' },
  UPSTREAM_UNAVAILABLE: { status: 503, message: 'A source system is unavailable' },
  UPSTREAM_HTTP_ERROR: { status: 502, message: 'A source system answered with an error' },
  UPSTREAM_AUTH: { status: 502, message: 'A source system refused the hub credentials' },
  UPSTREAM_NETWORK: { status: 502, message: 'A source system could not be reached' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Internal error' },
} as const satisfies Record<ErrorCode, { status: number; message: string }>;

/** An error the client is meant to see, with a fixed code in `extensions.code`. */
export class HubError extends GraphQLError {
  constructor(code: ErrorCode, message?: string, extensions: Record<string, unknown> = {}) {
    super(message || ERROR_CODES[code].message, { extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends HubError {
  constructor(argument: string, message: string) {
    super('BAD_USER_INPUT', message, { argument });
  }
}
