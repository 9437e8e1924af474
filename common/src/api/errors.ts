// Errors a MessengerApi call can reject with: a stable code the UI branches on plus a
// sentence a person can act on. They cross contextBridge and WebSockets as
// { code, message }, so they carry no stack and no class identity on the far side.

export const API_ERROR_CODES = {
  bad_params: 'The request parameters are not valid.',
  no_account: 'Create an account or link this device first.',
  account_exists: 'This profile already has an account.',
  not_found: 'Nothing exists under that id.',
  not_admin: 'Only group admins may change members and roles.',
  not_member: 'You are not a member of this group.',
  bad_invite: 'That invite link is not a valid Parley link.',
  link_expired: 'That link code has expired; start linking again.',
  offline: 'This needs a connection to the relay; try again when online.',
  handle_taken: 'That handle belongs to someone else on this relay; pick another.',
  attachment_damaged: 'The downloaded file does not match what the sender sent; it was not saved.',
  attachment_unavailable: 'The relay no longer has this file; ask the sender to send it again.',
  attachment_not_downloaded: 'Download this file first; it is not saved on this device yet.',
  attachment_missing: 'The saved file is gone or was changed on disk; download it again.',
  attachment_too_large: 'This file is too large to open here; find it in the attachments folder of your profile.',
  file_refused: 'Parley does not open this file; save it and open it yourself if you trust it.',
  not_implemented: 'This is not available in this build yet.',
  internal: 'Something went wrong inside Parley; the action was not applied.',
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export interface ApiErrorShape {
  code: ApiErrorCode;
  message: string;
}

export class ApiError extends Error implements ApiErrorShape {
  constructor(
    readonly code: ApiErrorCode,
    message: string = API_ERROR_CODES[code],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message };
  }
}
