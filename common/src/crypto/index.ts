// Parley's end-to-end crypto layer (see docs/security.md). Pure functions over JSON-safe,
// versioned state objects; call `await sodiumReady()` once before using any of it.
export { sodiumReady } from '../sodium.ts';
export * from './errors.ts';
export { randomBytes, equalBytes } from './bytes.ts';
export * from './hkdf.ts';
export { isValidX25519PublicKey, checkX25519PublicKey, x25519, generateX25519, generateEd25519 } from './dh.ts';
export * from './keys.ts';
export * from './devicelist.ts';
export * from './x3dh.ts';
export { MAX_SKIP, MAX_SKIPPED_KEYS, type RatchetState, type ChainState } from './ratchet.ts';
export * from './session.ts';
export * from './fanout.ts';
export * from './senderkeys.ts';
export * from './padding.ts';
export * from './envelope.ts';
export * from './attachment.ts';
export * from './safety.ts';
export * from './state.ts';
