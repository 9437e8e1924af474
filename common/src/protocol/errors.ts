// Stable error codes of protocol v1. Clients branch on `code`; `message` is for people.
// Adding a code is a compatible change; renaming or removing one is not.

export const ERROR_CODES = {
  bad_frame: 'The frame is not valid JSON or does not match any v1 frame schema.',
  bad_request: 'The request body or parameters do not match the v1 schema.',
  too_large: 'The frame or body exceeds the configured size limit.',
  rate_limited: 'Too many requests; slow down and retry later.',
  unauthenticated: 'Authenticate first: this needs a signed request or an authenticated socket.',
  auth_failed: 'The authentication signature, device or timestamp was not accepted.',
  auth_expired: 'The authentication challenge expired or was already used; reconnect.',
  bad_signature: 'A signature in the request does not verify.',
  rollback: 'A device list with this version or newer is already published.',
  unknown_user: 'No such user is registered on this relay.',
  unknown_device: 'No such device is registered on this relay.',
  stale_devices: 'The recipient device set is out of date; re-encrypt for the current device lists.',
  too_many_recipients: 'The send names more recipient devices than the relay allows.',
  handle_taken: 'That handle belongs to another user.',
  not_found: 'Nothing exists under that id.',
  forbidden: 'This device may not do that.',
  range_not_satisfiable: 'The requested byte range lies outside the blob.',
  shutting_down: 'The relay is shutting down; reconnect later.',
  internal: 'The relay hit an unexpected error; the request was not applied.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_frame: 400,
  bad_request: 400,
  too_large: 413,
  rate_limited: 429,
  unauthenticated: 401,
  auth_failed: 401,
  auth_expired: 401,
  bad_signature: 400,
  rollback: 409,
  unknown_user: 404,
  unknown_device: 404,
  stale_devices: 409,
  too_many_recipients: 400,
  handle_taken: 409,
  not_found: 404,
  forbidden: 403,
  range_not_satisfiable: 416,
  shutting_down: 503,
  internal: 500,
};

/** An error that crosses the wire: a stable code plus a sentence a person can act on. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** WebSocket close codes (4000-4999 is the application range). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  authFailed: 4001,
  authTimeout: 4002,
  heartbeatTimeout: 4003,
  slowConsumer: 4004,
  deviceRemoved: 4005,
  tooManyErrors: 4006,
  replaced: 4007,
} as const;
