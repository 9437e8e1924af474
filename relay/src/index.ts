// Public surface of the relay package.
export type * from './store/types.ts';
