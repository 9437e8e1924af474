import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MONGO_DB_NAME,
  MongoStoreConfigError,
  dbNameFromUrl,
  mongoStoreOptionsFromEnv,
  redactUrl,
  resolveMongoStoreOptions,
  supportsTransactions,
} from './mongodb-options.ts';

describe('MongoDB store options', () => {
  it('takes the database from the URL path, including seed lists and query strings', () => {
    expect(dbNameFromUrl('mongodb://localhost:27017/chat')).toBe('chat');
    expect(dbNameFromUrl('mongodb://a:27017,b:27017,c:27017/chat?replicaSet=rs0')).toBe('chat');
    expect(dbNameFromUrl('mongodb+srv://user:p%40ss@cluster.example.net/prod?retryWrites=true')).toBe('prod');
    expect(dbNameFromUrl('mongodb://localhost:27017')).toBeNull();
    expect(dbNameFromUrl('mongodb://localhost:27017/')).toBeNull();
    expect(dbNameFromUrl('mongodb://localhost:27017/?replicaSet=rs0')).toBeNull();
  });

  it('refuses a URL that is not a MongoDB connection string, without echoing its password', () => {
    expect(() => dbNameFromUrl('postgres://u:secret@host/db')).toThrow(MongoStoreConfigError);
    expect(() => dbNameFromUrl('postgres://u:secret@host/db')).not.toThrow(/secret/);
    expect(redactUrl('mongodb://relay:s3cret@db1:27017/parley')).toBe('mongodb://relay:***@db1:27017/parley');
    expect(redactUrl('mongodb://db1:27017/parley')).toBe('mongodb://db1:27017/parley');
  });

  it('defaults to majority, journaled writes and the "parley" database', () => {
    expect(resolveMongoStoreOptions({ url: 'mongodb://localhost/?replicaSet=rs0' })).toEqual({
      url: 'mongodb://localhost/?replicaSet=rs0',
      dbName: DEFAULT_MONGO_DB_NAME,
      writeConcern: { w: 'majority', journal: true },
    });
  });

  it('lets an explicit dbName win over the URL, and fills in what the write concern leaves out', () => {
    const r = resolveMongoStoreOptions({ url: 'mongodb://h/fromurl', dbName: 'explicit', writeConcern: { w: 1 } });
    expect(r.dbName).toBe('explicit');
    expect(r.writeConcern).toEqual({ w: 1, journal: true });
    expect(resolveMongoStoreOptions({ url: 'mongodb://h/fromurl', writeConcern: { journal: false } }).writeConcern).toEqual({
      w: 'majority',
      journal: false,
    });
  });

  it('refuses w:0 and other write concerns that would not acknowledge a send', () => {
    for (const w of [0, -1, 1.5, 'all' as unknown as number]) {
      expect(() => resolveMongoStoreOptions({ url: 'mongodb://h/', writeConcern: { w } })).toThrow(/write concern w/);
    }
  });

  it('refuses database names MongoDB would reject', () => {
    for (const dbName of ['a.b', 'a b', 'a/b', 'x'.repeat(64), 'a$b']) {
      expect(() => resolveMongoStoreOptions({ url: 'mongodb://h/', dbName })).toThrow(MongoStoreConfigError);
    }
  });

  it('reads its settings from the environment', () => {
    expect(mongoStoreOptionsFromEnv({})).toBeNull();
    expect(mongoStoreOptionsFromEnv({ PARLEY_MONGODB_URL: '  ' })).toBeNull();
    expect(
      mongoStoreOptionsFromEnv({
        PARLEY_MONGODB_URL: 'mongodb://db/parley_prod?replicaSet=rs0',
        PARLEY_MONGODB_W: '2',
        PARLEY_MONGODB_JOURNAL: 'false',
      }),
    ).toEqual({ url: 'mongodb://db/parley_prod?replicaSet=rs0', dbName: 'parley_prod', writeConcern: { w: 2, journal: false } });
    expect(mongoStoreOptionsFromEnv({ PARLEY_MONGODB_URL: 'mongodb://db/', PARLEY_MONGODB_DB: 'other' })?.dbName).toBe('other');
    expect(() => mongoStoreOptionsFromEnv({ PARLEY_MONGODB_URL: 'mongodb://db/', PARLEY_MONGODB_W: 'most' })).toThrow(/PARLEY_MONGODB_W/);
    expect(() => mongoStoreOptionsFromEnv({ PARLEY_MONGODB_URL: 'mongodb://db/', PARLEY_MONGODB_W: '0' })).toThrow(/write concern w/);
    expect(() => mongoStoreOptionsFromEnv({ PARLEY_MONGODB_URL: 'mongodb://db/', PARLEY_MONGODB_JOURNAL: 'yes' })).toThrow(
      /PARLEY_MONGODB_JOURNAL/,
    );
  });

  it('accepts replica sets and mongos for transactions, refuses a standalone server', () => {
    expect(supportsTransactions({ setName: 'rs0', logicalSessionTimeoutMinutes: 30 })).toBe(true);
    expect(supportsTransactions({ msg: 'isdbgrid', logicalSessionTimeoutMinutes: 30 })).toBe(true);
    expect(supportsTransactions({ logicalSessionTimeoutMinutes: 30 })).toBe(false); // standalone mongod
    expect(supportsTransactions({ setName: 'rs0', logicalSessionTimeoutMinutes: null })).toBe(false); // sessions off
  });
});
