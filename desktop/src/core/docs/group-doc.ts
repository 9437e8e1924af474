// A group's shared state — name, members, roles — as an Automerge document every member
// holds. Membership is not a map that anyone may overwrite but an append-only LOG of
// signed-by-delivery operations (create, add, remove, role, leave); the member list is a
// deterministic fold over the log, so replicas that hold the same changes agree.
//
// The admin rule is enforced twice, both times deterministically (the same verdict on
// every replica, whatever order changes arrive in):
// 1. On apply: a change must come from the device its actor names (the E2E envelope
//    authenticates the sending device), may only append log entries with `by` = its
//    author, and its author must be allowed to append them in the change's CAUSAL PAST
//    (the document at the change's dependencies, which every replica can reconstruct).
//    Membership and role entries need an admin; rename needs a member. Otherwise the change
//    is rejected and never enters the document.
// 2. On read: the fold skips entries whose author is not (or no longer) an admin at that
//    point of the log, which settles concurrent operations — e.g. an admin demoted while
//    concurrently adding someone — the same way everywhere.
import * as A from '@automerge/automerge';
import { actorOf, authorOfActor, sameAuthor, type Author } from './actor.ts';

export type GroupRole = 'admin' | 'member';

export type LogEntry =
  | { op: 'create'; user: string; by: string; at: number }
  | { op: 'add'; user: string; by: string; at: number }
  | { op: 'remove'; user: string; by: string; at: number }
  | { op: 'role'; user: string; role: GroupRole; by: string; at: number }
  | { op: 'leave'; user: string; by: string; at: number };

interface GroupShape {
  name: string;
  log: LogEntry[];
  /** Each member's display name, written by that member only (user id → name). */
  names?: Record<string, string>;
}

export interface GroupState {
  name: string;
  members: Map<string, GroupRole>;
  /** The names members gave themselves (removed members keep theirs, for old messages). */
  names: Map<string, string>;
}

/** Longest display name a member may record in a group document. */
export const MEMBER_NAME_MAX = 64;

export type RejectReason = 'wrong_author' | 'bad_shape' | 'log_rewritten' | 'forged_by' | 'forged_name' | 'not_admin' | 'not_member' | 'bad_change';

export interface ApplyResult {
  accepted: string[];
  rejected: { hash: string; reason: RejectReason }[];
  /** Changes waiting for dependencies that have not arrived yet. */
  pending: number;
}

export class GroupDocError extends Error {
  constructor(
    readonly code: 'not_admin' | 'not_member',
    message: string,
  ) {
    super(message);
    this.name = 'GroupDocError';
  }
}

/** The member list a log implies. Pure and deterministic: every replica computes the same. */
export function foldMembers(log: readonly LogEntry[]): Map<string, GroupRole> {
  const members = new Map<string, GroupRole>();
  log.forEach((e, i) => step(members, e, i === 0));
  return members;
}

/** Applies one entry if its author may; returns whether it took effect. */
function step(members: Map<string, GroupRole>, e: LogEntry, first: boolean): boolean {
  const byRole = members.get(e.by);
  switch (e.op) {
    case 'create':
      if (!first || e.user !== e.by) return false;
      members.set(e.by, 'admin');
      return true;
    case 'add':
      if (byRole !== 'admin' || members.has(e.user)) return false;
      members.set(e.user, 'member');
      return true;
    case 'remove':
      if (byRole !== 'admin' || !members.has(e.user)) return false;
      members.delete(e.user);
      break;
    case 'role':
      if (byRole !== 'admin' || !members.has(e.user)) return false;
      members.set(e.user, e.role);
      break;
    case 'leave':
      if (e.user !== e.by || !members.has(e.user)) return false;
      members.delete(e.user);
      break;
    default:
      return false;
  }
  // A group never loses its last admin: the longest-standing remaining member takes over.
  if (members.size > 0 && ![...members.values()].includes('admin')) members.set(members.keys().next().value as string, 'admin');
  return true;
}

const isEntry = (e: unknown): e is LogEntry => {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  const keys = Object.keys(x).sort().join(',');
  if (typeof x.user !== 'string' || typeof x.by !== 'string' || typeof x.at !== 'number') return false;
  if (x.op === 'role') return keys === 'at,by,op,role,user' && (x.role === 'admin' || x.role === 'member');
  return ['create', 'add', 'remove', 'leave'].includes(x.op as string) && keys === 'at,by,op,user';
};

/** Validates what one change did, given the document before it (its causal past) and after it. */
export function checkGroupChange(before: Partial<GroupShape>, after: Partial<GroupShape>, author: string): RejectReason | null {
  if (Object.keys(after).some((k) => k !== 'name' && k !== 'log' && k !== 'names')) return 'bad_shape';
  if (typeof after.name !== 'string' || !Array.isArray(after.log) || !after.log.every(isEntry)) return 'bad_shape';
  if (after.names !== undefined && !isNameMap(after.names)) return 'bad_shape';
  const oldLog = before.log ?? [];
  // Append-only: the author saw oldLog and may only add after it.
  if (after.log.length < oldLog.length || oldLog.some((e, i) => JSON.stringify(e) !== JSON.stringify(after.log![i]))) return 'log_rewritten';
  const members = foldMembers(oldLog);
  const added = after.log.slice(oldLog.length);
  for (const [i, e] of added.entries()) {
    if (e.by !== author) return 'forged_by';
    const needsAdmin = e.op === 'add' || e.op === 'remove' || e.op === 'role';
    if (needsAdmin && members.get(author) !== 'admin') return 'not_admin';
    if (e.op === 'leave' && !members.has(author)) return 'not_member';
    if (e.op === 'create' && oldLog.length + i !== 0) return 'bad_shape';
    step(members, e, oldLog.length + i === 0);
  }
  if ((before.name ?? '') !== after.name && !members.has(author)) return 'not_member';
  // A member's name is theirs alone: nobody else can put words in it.
  const oldNames = before.names ?? {};
  const newNames = after.names ?? {};
  for (const user of new Set([...Object.keys(oldNames), ...Object.keys(newNames)])) {
    if (oldNames[user] === newNames[user]) continue;
    if (user !== author) return 'forged_name';
    if (!members.has(author)) return 'not_member';
  }
  return null;
}

function isNameMap(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((n) => typeof n === 'string' && n.trim().length > 0 && n.length <= MEMBER_NAME_MAX);
}

export class GroupDoc {
  private pendingChanges: { change: Uint8Array; sender: Author }[] = [];

  private constructor(
    private doc: A.Doc<GroupShape>,
    readonly self: Author,
  ) {}

  /**
   * A new group with its creator as admin and the initial members; returns the genesis
   * change. The `names` map is born in the genesis change, so members writing their names
   * concurrently write into one map (two maps created concurrently would conflict).
   */
  static create(name: string, self: Author, members: string[], at: number, selfName?: string): { group: GroupDoc; change: Uint8Array } {
    const doc = A.change(A.init<GroupShape>({ actor: actorOf(self) }), (d) => {
      d.name = name;
      d.names = selfName ? { [self.userId]: selfName } : {};
      d.log = [{ op: 'create', user: self.userId, by: self.userId, at }];
      for (const user of members) if (user !== self.userId) d.log.push({ op: 'add', user, by: self.userId, at });
    });
    return { group: new GroupDoc(doc, self), change: A.getLastLocalChange(doc)! };
  }

  /** Loads our own saved copy, or the snapshot the admin who added us sent (our trusted base). */
  static load(bytes: Uint8Array, self: Author): GroupDoc {
    return new GroupDoc(A.load<GroupShape>(bytes, { actor: actorOf(self) }), self);
  }

  /** An empty replica that will be built from changes (each one validated). */
  static empty(self: Author): GroupDoc {
    return new GroupDoc(A.init<GroupShape>({ actor: actorOf(self) }), self);
  }

  get state(): GroupState {
    return { name: this.doc.name ?? '', members: foldMembers(this.doc.log ?? []), names: new Map(Object.entries(this.doc.names ?? {})) };
  }

  /** The name this member gave themselves here, if any. */
  nameOf(userId: string): string | undefined {
    return this.doc.names?.[userId];
  }

  /**
   * Records our own display name (null when it is already recorded). A group created
   * before names existed gets its map from the first member to write one; a concurrent
   * creation by another member can lose this write, which is why callers check again
   * after applying others' changes.
   */
  setOwnName(name: string): Uint8Array | null {
    this.require('member');
    const clean = name.trim().slice(0, MEMBER_NAME_MAX);
    if (!clean || this.doc.names?.[this.self.userId] === clean) return null;
    return this.local((d) => {
      if (!d.names) d.names = {};
      d.names[this.self.userId] = clean;
    });
  }

  roleOf(userId: string): GroupRole | undefined {
    return this.state.members.get(userId);
  }

  rename(name: string): Uint8Array {
    this.require('member');
    return this.local((d) => {
      d.name = name;
    });
  }

  addMembers(users: string[], at: number): Uint8Array {
    this.require('admin');
    const current = this.state.members;
    return this.local((d) => {
      for (const user of users) if (!current.has(user)) d.log.push({ op: 'add', user, by: this.self.userId, at });
    });
  }

  removeMember(user: string, at: number): Uint8Array {
    this.require('admin');
    return this.local((d) => {
      d.log.push({ op: 'remove', user, by: this.self.userId, at });
    });
  }

  setRole(user: string, role: GroupRole, at: number): Uint8Array {
    this.require('admin');
    return this.local((d) => {
      d.log.push({ op: 'role', user, role, by: this.self.userId, at });
    });
  }

  leave(at: number): Uint8Array {
    this.require('member');
    return this.local((d) => {
      d.log.push({ op: 'leave', user: this.self.userId, by: this.self.userId, at });
    });
  }

  /**
   * Applies changes delivered by `sender` (the authenticated device of the E2E message
   * that carried them). Each is checked on its own; a change whose dependencies have not
   * arrived waits and is retried as others land.
   */
  applyRemote(changes: readonly Uint8Array[], sender: Author): ApplyResult {
    return this.applyItems(changes.map((change) => ({ change, sender })));
  }

  /**
   * Changes another device of OUR account hands over (catching up a device being linked):
   * they may be anyone's, so each is checked as if its author (named by its actor) had
   * delivered it — the admin and name rules hold, only "who delivered it" is taken on our
   * own device's word. Never call this for another user's device.
   */
  applyRelayedByOwnDevice(changes: readonly Uint8Array[]): ApplyResult {
    const items: { change: Uint8Array; sender: Author }[] = [];
    for (const change of changes) {
      let author: Author | null = null;
      try {
        author = authorOfActor(A.decodeChange(change).actor);
      } catch {
        // undecodable: rejected below as bad_change
      }
      items.push({ change, sender: author ?? { userId: '', deviceId: '' } });
    }
    return this.applyItems(items);
  }

  private applyItems(items: { change: Uint8Array; sender: Author }[]): ApplyResult {
    const result: ApplyResult = { accepted: [], rejected: [], pending: 0 };
    this.pendingChanges.push(...items);
    for (let progress = true; progress; ) {
      progress = false;
      const waiting = this.pendingChanges;
      this.pendingChanges = [];
      for (const item of waiting) {
        const verdict = this.applyOne(item.change, item.sender);
        if (verdict === 'wait') this.pendingChanges.push(item);
        else {
          progress ||= verdict.ok;
          if (verdict.ok) result.accepted.push(verdict.hash);
          else if (verdict.reason) result.rejected.push({ hash: verdict.hash, reason: verdict.reason });
        }
      }
    }
    result.pending = this.pendingChanges.length;
    return result;
  }

  private applyOne(change: Uint8Array, sender: Author): 'wait' | { ok: boolean; hash: string; reason?: RejectReason } {
    let decoded: A.DecodedChange;
    try {
      decoded = A.decodeChange(change);
    } catch {
      return { ok: false, hash: '?', reason: 'bad_change' };
    }
    const hash = decoded.hash!;
    if (!sameAuthor(sender, authorOfActor(decoded.actor))) return { ok: false, hash, reason: 'wrong_author' };
    if (A.hasHeads(this.doc, [hash])) return { ok: false, hash }; // already have it
    if (!A.hasHeads(this.doc, decoded.deps)) return 'wait';
    // clone() would mint a random actor; keep ours so later local changes name this device.
    const [trial] = A.applyChanges(A.clone(this.doc, { actor: actorOf(this.self) }), [change]);
    const before = decoded.deps.length ? (A.toJS(A.view(trial, decoded.deps)) as Partial<GroupShape>) : {};
    const after = A.toJS(A.view(trial, [hash])) as Partial<GroupShape>;
    const reason = checkGroupChange(before, after, sender.userId);
    if (reason) {
      A.free(trial);
      return { ok: false, hash, reason };
    }
    this.doc = trial;
    return { ok: true, hash };
  }

  save(): Uint8Array {
    return A.save(this.doc);
  }

  heads(): string[] {
    return A.getHeads(this.doc);
  }

  /** Every change since the given heads (all, without), e.g. for a member who missed some. */
  changesSince(heads: string[] = []): Uint8Array[] {
    return heads.length ? A.getChangesSince(this.doc, heads) : A.getAllChanges(this.doc);
  }

  private require(role: 'admin' | 'member'): void {
    const mine = this.roleOf(this.self.userId);
    if (role === 'admin' && mine !== 'admin') throw new GroupDocError('not_admin', 'Only group admins may change members and roles.');
    if (!mine) throw new GroupDocError('not_member', 'You are no longer a member of this group.');
  }

  private local(fn: (d: GroupShape) => void): Uint8Array {
    this.doc = A.change(this.doc, fn);
    return A.getLastLocalChange(this.doc)!;
  }
}
