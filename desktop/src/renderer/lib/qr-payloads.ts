// What a scanned QR code means to Parley: an invite (`parley://add?...`, see the core's
// messenger-invite.ts) or a safety-number code
// (`parley://verify?n=<60 digits>&by=<user id>&with=<user id>`, from getSafetyNumber). The
// core derives the 60 digits symmetrically (both people's account keys, sorted by user
// id), so both screens show the same digits; `by` and `with` say whose screen it is, so
// a picture of your own screen is not taken for theirs.

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

/** A safety-number code: its 60 digits, whose screen showed it, and for which partner. */
export interface SafetyCode {
  digits: string;
  by: string;
  with: string;
}

/** The parts of a safety-number payload, or null when the text is not one. */
export function readSafetyCode(payload: string): SafetyCode | null {
  const m = /^parley:\/\/verify\?n=(\d{60})&by=([a-z2-7]{32})&with=([a-z2-7]{32})$/i.exec(payload.trim());
  return m ? { digits: m[1], by: m[2].toLowerCase(), with: m[3].toLowerCase() } : null;
}

/** The 60 digits of a safety-number payload, or null when the text is not one. */
export function safetyDigits(payload: string): string | null {
  return readSafetyCode(payload)?.digits ?? null;
}

export type SafetyComparison = 'match' | 'mismatch' | 'own_code' | 'not_safety_code';

/**
 * Compares the safety-number code scanned from the other person's screen with ours.
 * 'match' only when both are well-formed, carry the same 60 digits, and the scanned one
 * was shown by our partner for us (ours is shown by us for them); a picture of our own
 * screen is 'own_code'; a code of another conversation or a tampered one is 'mismatch';
 * anything that is not a safety-number code (an invite, a web address) is
 * 'not_safety_code', so the UI can say so instead of claiming a mismatch.
 */
export function compareSafetyCodes(ours: string, scanned: string): SafetyComparison {
  const theirs = readSafetyCode(scanned);
  if (theirs === null) return 'not_safety_code';
  const mine = readSafetyCode(ours);
  if (mine === null) return 'mismatch';
  if (theirs.by === mine.by && theirs.with === mine.with) return 'own_code';
  const samePair = theirs.by === mine.with && theirs.with === mine.by;
  return samePair && theirs.digits === mine.digits ? 'match' : 'mismatch';
}
