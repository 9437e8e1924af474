// Validation of the shell frames a page sends the web host (common/src/api/shell.ts):
// strict objects, so unknown keys and wrong types are refused with a stable code
// (`bad_params`, naming the field) before the host acts on them, as API calls are.
import { z } from 'zod';
import { ConversationIdParam, type ShellHostFrame, type ShellPageFrame } from '@parley/common/api/index';

const ShellPageFrameSchema = z.discriminatedUnion('type', [
  z.object({ t: z.literal('shell'), type: z.literal('ready') }).strict(),
  z.object({ t: z.literal('shell'), type: z.literal('state'), openConversationId: ConversationIdParam.nullable(), focused: z.boolean() }).strict(),
]);

// The schema and the shared type must describe the same frames.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.infer<typeof ShellPageFrameSchema>, ShellPageFrame> = true;
void sameShape;

export type ShellErrorFrame = Extract<ShellHostFrame, { type: 'error' }>;

/** Is this decoded frame meant for the shell (rather than the API)? */
export function isShellFrame(frame: unknown): boolean {
  return typeof frame === 'object' && frame !== null && (frame as { t?: unknown }).t === 'shell';
}

export function parseShellFrame(frame: unknown): { ok: true; frame: ShellPageFrame } | { ok: false; error: ShellErrorFrame } {
  const parsed = ShellPageFrameSchema.safeParse(frame);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
  return { ok: false, error: { t: 'shell', type: 'error', error: { code: 'bad_params', message: `Shell frame refused: ${issue?.message ?? 'not a shell frame'}${where}.` } } };
}
