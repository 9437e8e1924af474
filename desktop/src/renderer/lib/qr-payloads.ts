// What a scanned QR code means to Parley: an invite (`parley://add?...`, see the core's
// messenger-invite.ts) or a safety-number code (`parley://verify?n=<60 digits>`, from
// getSafetyNumber). The core derives the 60 digits symmetrically (both people's account
// keys, sorted by user id), so the two sides of one conversation show the same payload
// and comparing the digits is the whole check.

/** An invite read from a QR code: the link to hand to addContactByInvite, and the name it carries. */
export interface ScannedInvite {
  link: string;
  name: string | null;
}

/**
 * The invite in a scanned text, or null when it is not a Parley invite at all (a web
 * address, a safety-number code, a device-link code). Only the shape is checked here; the
 * core checks the key fingerprint against the user id when the contact is added.
 */
export function readInvite(text: string): ScannedInvite | null {
  const link = text.trim();
  const m = /^parley:\/\/add\/?\?(.*)$/i.exec(link);
  if (!m) return null;
  const q = new URLSearchParams(m[1]);
  if (!q.get('u') || !q.get('r') || !q.get('f')) return null;
  return { link, name: q.get('n')?.slice(0, 64) || null };
}

/** The 60 digits of a safety-number payload, or null when the text is not one. */
export function safetyDigits(payload: string): string | null {
  const m = /^parley:\/\/verify\?n=(\d{60})$/i.exec(payload.trim());
  return m ? m[1] : null;
}

export type SafetyComparison = 'match' | 'mismatch' | 'not_safety_code';

/**
 * Compares the safety-number code scanned from the other person's screen with ours.
 * 'match' only when both are well-formed and carry the same 60 digits; a code of another
 * conversation or a tampered one is 'mismatch'; anything that is not a safety-number code
 * (an invite, a web address) is 'not_safety_code', so the UI can say so instead of
 * claiming a mismatch.
 */
export function compareSafetyCodes(ours: string, scanned: string): SafetyComparison {
  const theirs = safetyDigits(scanned);
  if (theirs === null) return 'not_safety_code';
  const mine = safetyDigits(ours);
  return mine !== null && mine === theirs ? 'match' : 'mismatch';
}
