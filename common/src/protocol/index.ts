// Protocol v1: schemas, identities and signing inputs, error codes, limits.
export * from './schemas.ts';
export * from './identity.ts';
export * from './errors.ts';
export * from './limits.ts';
