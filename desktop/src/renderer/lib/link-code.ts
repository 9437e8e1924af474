// What the device-linking screens need around the core's link code: a default name for
// this device, the code cut into groups for reading aloud or typing, the code a person
// typed turned back into one string, and the countdown to its expiry.

/** A name for this device the user will recognise in their device list ("Linux computer"). */
export function defaultDeviceName(nav: { platform?: string; userAgent?: string; userAgentData?: { platform?: string } } = navigator): string {
  const platform = `${nav.userAgentData?.platform ?? ''} ${nav.platform ?? ''} ${nav.userAgent ?? ''}`.toLowerCase();
  if (/android/.test(platform)) return 'Android device';
  if (/iphone|ipad|ios/.test(platform)) return 'iPhone or iPad';
  if (/mac/.test(platform)) return 'Mac';
  if (/win/.test(platform)) return 'Windows PC';
  if (/cros|chrome os/.test(platform)) return 'Chromebook';
  if (/linux|x11|bsd/.test(platform)) return 'Linux computer';
  return 'New device';
}

/** The code in groups of `size` characters, for display; the code itself has no spaces. */
export function codeGroups(code: string, size = 4): string[] {
  const groups: string[] = [];
  for (let i = 0; i < code.length; i += size) groups.push(code.slice(i, i + size));
  return groups;
}

/**
 * A code as typed or pasted: the groups' spaces and line breaks removed. A link code never
 * contains whitespace (its query string encodes spaces as '+'), so nothing is lost.
 */
export function normaliseCode(typed: string): string {
  return typed.replace(/\s+/g, '');
}

/** "9:05" — minutes and seconds left until `expiresAt` (never negative). */
export function countdown(expiresAt: number, now: number): string {
  const left = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}
