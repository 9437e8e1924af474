import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { actorOf, type Author } from './actor.ts';
import { decodeChangeBatch, encodeChangeBatch } from './change-batch.ts';
import { checkGroupChange, foldMembers, GroupDoc, GroupDocError } from './group-doc.ts';

const alice: Author = { userId: 'alice', deviceId: 'alice-laptop' };
const bob: Author = { userId: 'bob', deviceId: 'bob-desktop' };
const carol: Author = { userId: 'carol', deviceId: 'carol-pc' };

/** Alice creates a group with Bob and Carol; each member starts from the snapshot she sends. */
function threeMembers() {
  const { group: a } = GroupDoc.create('Climbing', alice, ['bob', 'carol'], 1);
  const snapshot = a.save();
  return { a, b: GroupDoc.load(snapshot, bob), c: GroupDoc.load(snapshot, carol) };
}

const members = (g: GroupDoc) => Object.fromEntries([...g.state.members].sort());

describe('group document', () => {
  it('starts with the creator as admin and the others as members', () => {
    const { a } = threeMembers();
    expect(members(a)).toEqual({ alice: 'admin', bob: 'member', carol: 'member' });
    expect(a.state.name).toBe('Climbing');
  });

  it('a member can be built from the genesis change alone, validated like any other', () => {
    const { group: a, change } = GroupDoc.create('Chess', alice, ['bob'], 1);
    const b = GroupDoc.empty(bob);
    expect(b.applyRemote([change], alice).accepted).toHaveLength(1);
    expect(members(b)).toEqual(members(a));
  });

  it('concurrent renames converge to the same name on all replicas', () => {
    const { a, b, c } = threeMembers();
    const fromA = a.rename('Bouldering');
    const fromB = b.rename('Crag crew');
    const fromC = c.rename('Rope team');
    a.applyRemote([fromB], bob);
    a.applyRemote([fromC], carol);
    b.applyRemote([fromC], carol);
    b.applyRemote([fromA], alice);
    c.applyRemote([fromA], alice);
    c.applyRemote([fromB], bob);
    expect(new Set([a.state.name, b.state.name, c.state.name]).size).toBe(1);
    expect(['Bouldering', 'Crag crew', 'Rope team']).toContain(a.state.name);
  });

  it('concurrent add and remove by two admins converge whatever the arrival order', () => {
    const { a, b, c } = threeMembers();
    b.applyRemote([a.setRole('bob', 'admin', 2)], alice);
    c.applyRemote(a.changesSince(c.heads()), alice);
    // concurrently: Alice removes Carol, Bob adds Dave
    const removeCarol = a.removeMember('carol', 3);
    const addDave = b.addMembers(['dave'], 3);
    a.applyRemote([addDave], bob);
    b.applyRemote([removeCarol], alice);
    c.applyRemote([addDave], bob);
    c.applyRemote([removeCarol], alice);
    expect(members(a)).toEqual({ alice: 'admin', bob: 'admin', dave: 'member' });
    expect(members(b)).toEqual(members(a));
    expect(members(c)).toEqual(members(a));
  });

  it("rejects a non-admin's membership change on every replica", () => {
    const { a, b, c } = threeMembers();
    // Bob's client is modified: it writes an 'add' although Bob is not an admin.
    const forged = forge(b, bob, (d) => d.log.push({ op: 'add', user: 'mallory', by: 'bob', at: 5 }));
    for (const replica of [a, c]) {
      const r = replica.applyRemote([forged], bob);
      expect(r.rejected).toEqual([{ hash: expect.any(String), reason: 'not_admin' }]);
      expect(replica.state.members.has('mallory')).toBe(false);
    }
  });

  it("rejects a non-admin's role change and a log rewrite", () => {
    const { a, b } = threeMembers();
    const promote = forge(b, bob, (d) => d.log.push({ op: 'role', user: 'bob', role: 'admin', by: 'bob', at: 5 }));
    expect(a.applyRemote([promote], bob).rejected[0].reason).toBe('not_admin');
    const rewrite = forge(b, bob, (d) => {
      d.log[0].by = 'bob';
    });
    expect(a.applyRemote([rewrite], bob).rejected[0].reason).toBe('log_rewritten');
    const erase = forge(b, bob, (d) => {
      d.log.splice(2, 1);
    });
    expect(a.applyRemote([erase], bob).rejected[0].reason).toBe('log_rewritten');
    expect(members(a)).toEqual({ alice: 'admin', bob: 'member', carol: 'member' });
  });

  it('rejects a change delivered by a device other than its author, and an entry signed with another name', () => {
    const { a, b } = threeMembers();
    const impersonating = forge(b, bob, (d) => d.log.push({ op: 'add', user: 'mallory', by: 'alice', at: 5 }));
    expect(a.applyRemote([impersonating], bob).rejected[0].reason).toBe('forged_by');
    const byBob = b.rename('Bob was here');
    expect(a.applyRemote([byBob], carol).rejected[0].reason).toBe('wrong_author');
    expect(a.state.name).toBe('Climbing');
  });

  it('refuses locally when a non-admin tries to change membership', () => {
    const { b } = threeMembers();
    expect(() => b.addMembers(['dave'], 4)).toThrow(GroupDocError);
    expect(() => b.removeMember('carol', 4)).toThrow(/Only group admins/);
  });

  it('locks out a removed member: their later changes are rejected', () => {
    const { a, b, c } = threeMembers();
    const removeCarol = a.removeMember('carol', 3);
    b.applyRemote([removeCarol], alice);
    c.applyRemote([removeCarol], alice);
    expect(c.state.members.has('carol')).toBe(false);
    expect(() => c.rename('still here')).toThrow(GroupDocError);
    const sneaky = forge(c, carol, (d) => {
      d.name = 'still here';
    });
    expect(a.applyRemote([sneaky], carol).rejected[0].reason).toBe('not_member');
    expect(b.applyRemote([sneaky], carol).rejected[0].reason).toBe('not_member');
    expect(a.state.name).toBe('Climbing');
  });

  it('settles an admin demoted while concurrently adding someone the same way everywhere', () => {
    const { a, b, c } = threeMembers();
    const promote = a.setRole('bob', 'admin', 2);
    b.applyRemote([promote], alice);
    c.applyRemote([promote], alice);
    const demote = a.setRole('bob', 'member', 3);
    const add = b.addMembers(['dave'], 3); // valid in Bob's causal past: he was admin
    a.applyRemote([add], bob);
    b.applyRemote([demote], alice);
    c.applyRemote([demote], alice);
    c.applyRemote([add], bob);
    expect(members(b)).toEqual(members(a));
    expect(members(c)).toEqual(members(a));
    expect(a.state.members.get('bob')).toBe('member');
  });

  it('holds a change until its dependencies arrive', () => {
    const { a, c } = threeMembers();
    const first = a.addMembers(['dave'], 3);
    const second = a.rename('Climbing + Dave');
    const r1 = c.applyRemote([second], alice);
    expect(r1).toEqual({ accepted: [], rejected: [], pending: 1 });
    const r2 = c.applyRemote([first], alice);
    expect(r2.accepted).toHaveLength(2);
    expect(c.state.name).toBe('Climbing + Dave');
    expect(c.state.members.has('dave')).toBe(true);
  });

  it('lets a member leave, and promotes someone when the last admin leaves', () => {
    const { a, b } = threeMembers();
    const leave = a.leave(4);
    b.applyRemote([leave], alice);
    expect(members(b)).toEqual({ bob: 'admin', carol: 'member' });
  });

  it('carries changes in a compact batch that round-trips', () => {
    const { a, b } = threeMembers();
    const changes = [a.rename('x'), a.addMembers(['dave'], 2)];
    const wire = encodeChangeBatch(changes);
    expect(typeof wire).toBe('string');
    expect(b.applyRemote(decodeChangeBatch(wire), alice).accepted).toHaveLength(2);
    expect(() => decodeChangeBatch(wire.slice(0, 20))).toThrow(/truncated/);
  });

  it('checkGroupChange and foldMembers are pure', () => {
    const log = [
      { op: 'create', user: 'alice', by: 'alice', at: 1 },
      { op: 'add', user: 'bob', by: 'alice', at: 1 },
      { op: 'add', user: 'carol', by: 'bob', at: 1 }, // not an admin: skipped
    ] as const;
    expect(Object.fromEntries(foldMembers([...log]))).toEqual({ alice: 'admin', bob: 'member' });
    expect(checkGroupChange({ name: 'n', log: [...log.slice(0, 2)] }, { name: 'n', log: [...log] }, 'bob')).toBe('not_admin');
  });
});

describe('member names in the group document', () => {
  it('each member records their own name; every replica reads the same names', () => {
    const { group: a } = GroupDoc.create('Climbing', alice, ['bob', 'carol'], 1, 'Alice');
    const b = GroupDoc.load(a.save(), bob);
    const c = GroupDoc.load(a.save(), carol);
    const bobName = b.setOwnName('Bob B.')!;
    const carolName = c.setOwnName('Carol')!;
    expect(b.setOwnName('Bob B.')).toBeNull(); // unchanged: nothing to send
    for (const [r, change, by] of [[a, bobName, bob], [c, bobName, bob], [a, carolName, carol], [b, carolName, carol]] as const) {
      expect(r.applyRemote([change], by).accepted).toHaveLength(1);
    }
    for (const r of [a, b, c]) expect(Object.fromEntries(r.state.names)).toEqual({ alice: 'Alice', bob: 'Bob B.', carol: 'Carol' });
  });

  it('rejects a change that writes another member’s name, and a name from a non-member', () => {
    const { group: a } = GroupDoc.create('Climbing', alice, ['bob', 'carol'], 1, 'Alice');
    const b = GroupDoc.load(a.save(), bob);
    const impersonate = forge(b, bob, (d) => {
      d.names!.carol = 'Carol (admin, trust me)';
    });
    expect(a.applyRemote([impersonate], bob).rejected[0].reason).toBe('forged_name');
    const rename = forge(b, bob, (d) => {
      d.names!.alice = 'Mallory';
    });
    expect(a.applyRemote([rename], bob).rejected[0].reason).toBe('forged_name');
    const notString = forge(b, bob, (d) => {
      d.names!.bob = 42;
    });
    expect(a.applyRemote([notString], bob).rejected[0].reason).toBe('bad_shape');
    const removeBob = a.removeMember('bob', 2);
    b.applyRemote([removeBob], alice);
    const late = forge(b, bob, (d) => {
      d.names!.bob = 'Still Bob';
    });
    expect(a.applyRemote([late], bob).rejected[0].reason).toBe('not_member');
    expect(Object.fromEntries(a.state.names)).toEqual({ alice: 'Alice' });
  });

  it('a group created before names existed gets its map from the first member who writes one', () => {
    const legacy = A.change(A.init<{ name: string; log: unknown[] }>({ actor: actorOf(alice) }), (d) => {
      d.name = 'Old';
      d.log = [{ op: 'create', user: 'alice', by: 'alice', at: 1 }, { op: 'add', user: 'bob', by: 'alice', at: 1 }];
    });
    const b = GroupDoc.load(A.save(legacy), bob);
    const a = GroupDoc.load(A.save(legacy), alice);
    expect(a.applyRemote([b.setOwnName('Bob')!], bob).accepted).toHaveLength(1);
    expect(a.nameOf('bob')).toBe('Bob');
  });
});

/** What a modified client could send: a raw Automerge change by `who`, bypassing GroupDoc's checks. */
function forge(replica: GroupDoc, who: Author, fn: (d: { name: string; log: any[]; names?: Record<string, any> }) => void): Uint8Array {
  const doc = A.load<{ name: string; log: any[]; names?: Record<string, any> }>(replica.save(), { actor: actorOf(who) });
  return A.getLastLocalChange(A.change(doc, fn))!;
}
