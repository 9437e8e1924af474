// Applies one decrypted Content to the local store, inside the transaction that also
// advances the relay cursor and saves the session that decrypted it. Returns the UI
// events to emit after the commit and the receipts to queue; never does I/O itself.
import type { MessengerEvent } from '@parley/common/api/index';
import type { LocalProfile } from './profile.ts';
import { directConversationId, groupConversationId, messageIdOf, parseMessageId } from './ids.ts';
import { attachmentBody, recordAttachment } from './messenger-attachments.ts';
import type { Content } from './pipeline/content.ts';
import type { Received } from './pipeline/decryptor.ts';

export interface ApplyContext {
  profile: LocalProfile;
  selfUserId: string;
  titleOf(userId: string): string;
  /** Applies an account-document change (messenger-account.ts); own devices only. */
  account?(r: Received): ApplyResult;
  /** Applies a group content: changes, sender keys, messages (messenger-groups.ts). */
  group?(r: Received): ApplyResult;
}

export interface ApplyResult {
  events: MessengerEvent[];
  /** Messages to acknowledge as delivered, by sender user and conversation. */
  delivered: { senderUserId: string; conversationId: string; conv: Content['conv']; messageId: string }[];
  /** A message from this user stopped their typing indicator. */
  typingStopped: { conversationId: string; userId: string } | null;
}

/** The conversation a Content belongs to on this device, or null if it is not for us. */
export function conversationOf(c: Content, senderUserId: string, selfUserId: string): string | null {
  if (c.conv.t === 'g') return groupConversationId(c.conv.id); // membership: checked by the caller
  if (senderUserId === selfUserId) return directConversationId(c.conv.peer);
  return c.conv.peer === selfUserId ? directConversationId(senderUserId) : null;
}

export function applyContent(ctx: ApplyContext, r: Received): ApplyResult {
  const { profile, selfUserId } = ctx;
  const out: ApplyResult = { events: [], delivered: [], typingStopped: null };
  const c = r.content;
  if (c.kind === 'account-change') return ctx.account?.(r) ?? out;
  if (c.conv.t === 'g') return ctx.group?.(r) ?? out;
  const fromSelf = r.senderUserId === selfUserId;
  const conversationId = conversationOf(c, r.senderUserId, selfUserId);
  if (!conversationId || c.conv.t !== 'd') return out;
  const peer = c.conv.t === 'd' && fromSelf ? c.conv.peer : r.senderUserId;

  switch (c.kind) {
    case 'text':
    case 'attachment': {
      profile.conversations.ensureDirect(peer, ctx.titleOf(peer));
      const { inserted, message } = profile.messages.insertIncoming({
        conversationId,
        senderUserId: r.senderUserId,
        senderDeviceId: r.senderDeviceId,
        clientMsgId: c.id,
        senderClock: c.at,
        body: c.kind === 'text' ? { kind: 'text', text: c.text } : attachmentBody(c),
        replyTo: c.replyTo ?? null,
        outgoing: fromSelf,
        status: fromSelf ? 'sent' : 'delivered',
        recipients: fromSelf ? [peer] : undefined,
      });
      if (!inserted) return out;
      if (c.kind === 'attachment') recordAttachment(profile, message.id, c);
      out.events.push({ type: 'message.added', message });
      if (!fromSelf) {
        out.delivered.push({ senderUserId: r.senderUserId, conversationId, conv: { t: 'd', peer: r.senderUserId }, messageId: message.id });
        out.typingStopped = { conversationId, userId: r.senderUserId };
      }
      return out;
    }
    case 'reaction': {
      try {
        const message = profile.messages.react(c.target, r.senderUserId, c.emoji, c.at);
        out.events.push({ type: 'message.updated', message });
      } catch {
        // a reaction to a message this device never got: nothing to show
      }
      return out;
    }
    case 'receipt': {
      if (fromSelf) {
        // Another of our devices read these: move our read mark, so unread counts agree.
        if (c.state !== 'read') return out;
        let clock = 0;
        for (const id of c.ids) {
          try {
            clock = Math.max(clock, profile.messages.get(id).sentAt);
          } catch {
            // not on this device
          }
        }
        if (clock > 0) {
          try {
            profile.conversations.raiseReadClock(conversationId, clock);
          } catch {
            // conversation unknown here
          }
        }
        return out;
      }
      for (const id of c.ids) {
        if (parseMessageId(id).senderUserId !== selfUserId) continue;
        try {
          const before = profile.messages.get(id).status;
          const message = profile.messages.recordReceipt(id, r.senderUserId, c.state, c.at);
          if (message.status !== before) out.events.push({ type: 'message.status', messageId: message.id, conversationId: message.conversationId, status: message.status });
        } catch {
          // a receipt for a message this device does not hold
        }
      }
      return out;
    }
    default:
      // typing arrives as ephemeral frames; group, sender-key and account-document
      // changes are not wired in this build yet (docs/desktop-core.md, "Remaining").
      return out;
  }
}

export const messageIdFor = messageIdOf;
