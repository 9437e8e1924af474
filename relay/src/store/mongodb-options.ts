// Options of the MongoDB store: where the database is, which write concern to commit
// with, and whether the server can run the multi-document transactions the store needs.
// Pure functions, so the defaults and the refusals are tested without a server.

export type MongoWriteLevel = number | 'majority';

export interface MongoStoreOptions {
  /** A MongoDB connection string: mongodb://… or mongodb+srv://… */
  url: string;
  /** The database; defaults to the one named in the URL's path, else "parley". */
  dbName?: string;
  /** Defaults to { w: 'majority', journal: true }: acknowledged sends survive a primary failover and a crash. */
  writeConcern?: { w?: MongoWriteLevel; journal?: boolean };
}

export interface ResolvedMongoStoreOptions {
  url: string;
  dbName: string;
  writeConcern: { w: MongoWriteLevel; journal: boolean };
}

export const DEFAULT_MONGO_DB_NAME = 'parley';
export const DEFAULT_WRITE_CONCERN = Object.freeze({ w: 'majority' as MongoWriteLevel, journal: true });

/** A configuration mistake, with a sentence that says how to fix it. */
export class MongoStoreConfigError extends Error {
  readonly code = 'mongodb_config';
  constructor(message: string) {
    super(message);
    this.name = 'MongoStoreConfigError';
  }
}

/**
 * The database named in a connection string's path, or null. Parsed by hand because a
 * seed list ("mongodb://a:27017,b:27017/parley?replicaSet=rs0") is not a WHATWG URL.
 */
export function dbNameFromUrl(url: string): string | null {
  const scheme = /^mongodb(\+srv)?:\/\//.exec(url);
  if (!scheme) throw new MongoStoreConfigError(`the MongoDB URL must start with mongodb:// or mongodb+srv://, got "${redactUrl(url)}"`);
  const rest = url.slice(scheme[0].length).split('?')[0];
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const path = decodeURIComponent(rest.slice(slash + 1));
  return path === '' ? null : path;
}

/** The URL with any password replaced, for error messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]+):[^@/]*@/i, '$1:***@');
}

export function resolveMongoStoreOptions(options: MongoStoreOptions): ResolvedMongoStoreOptions {
  const dbName = options.dbName ?? dbNameFromUrl(options.url) ?? DEFAULT_MONGO_DB_NAME;
  // Database names may not contain these, and may not be empty (MongoDB's naming rules).
  if (dbName === '' || /[/\\. "$\0]/.test(dbName) || dbName.length > 63) {
    throw new MongoStoreConfigError(`"${dbName}" is not a valid MongoDB database name: use up to 63 characters without / \\ . " $ or spaces`);
  }
  dbNameFromUrl(options.url); // validates the scheme even when dbName is given
  const w = options.writeConcern?.w ?? DEFAULT_WRITE_CONCERN.w;
  if (w !== 'majority' && !(Number.isInteger(w) && w >= 1)) {
    // w:0 is fire-and-forget: no acknowledgement, so no durable commit before the sender
    // is told "sent", and no duplicate-key errors, which the store's idempotency relies on.
    throw new MongoStoreConfigError(`write concern w must be "majority" or a whole number >= 1, got ${JSON.stringify(w)}`);
  }
  const journal = options.writeConcern?.journal ?? DEFAULT_WRITE_CONCERN.journal;
  return { url: options.url, dbName, writeConcern: { w, journal } };
}

/**
 * Store options from the environment, or null when PARLEY_MONGODB_URL is unset (the relay
 * then uses its embedded store). PARLEY_MONGODB_DB names the database;
 * PARLEY_MONGODB_W is "majority" or a number; PARLEY_MONGODB_JOURNAL is "true" or "false".
 */
export function mongoStoreOptionsFromEnv(env: Record<string, string | undefined>): ResolvedMongoStoreOptions | null {
  const url = env.PARLEY_MONGODB_URL?.trim();
  if (!url) return null;
  const options: MongoStoreOptions = { url, writeConcern: {} };
  if (env.PARLEY_MONGODB_DB) options.dbName = env.PARLEY_MONGODB_DB;
  const w = env.PARLEY_MONGODB_W?.trim();
  if (w) {
    if (w === 'majority') options.writeConcern!.w = 'majority';
    else if (/^\d+$/.test(w)) options.writeConcern!.w = Number(w);
    else throw new MongoStoreConfigError(`PARLEY_MONGODB_W must be "majority" or a number, got "${w}"`);
  }
  const journal = env.PARLEY_MONGODB_JOURNAL?.trim();
  if (journal) {
    if (journal !== 'true' && journal !== 'false') {
      throw new MongoStoreConfigError(`PARLEY_MONGODB_JOURNAL must be "true" or "false", got "${journal}"`);
    }
    options.writeConcern!.journal = journal === 'true';
  }
  return resolveMongoStoreOptions(options);
}

/** The part of the server's `hello` reply that says what kind of deployment it is. */
export interface HelloReply {
  setName?: string;
  msg?: string;
  logicalSessionTimeoutMinutes?: number | null;
}

/**
 * Whether the deployment runs multi-document transactions: a replica set member (a
 * single-node replica set is enough) or a mongos router. A standalone mongod does not, and
 * the store refuses it rather than risk lost or duplicated messages (see mongodb-mailbox.ts).
 */
export function supportsTransactions(hello: HelloReply): boolean {
  const deployment = hello.msg === 'isdbgrid' || typeof hello.setName === 'string';
  return deployment && hello.logicalSessionTimeoutMinutes != null;
}

export const STANDALONE_REFUSED =
  'the MongoDB store needs a replica set or a sharded cluster (it commits each send in a transaction), ' +
  'but this server is a standalone mongod. A single-node replica set is enough: start mongod with ' +
  '--replSet rs0, run rs.initiate() once in mongosh, and add ?replicaSet=rs0 to the URL.';
