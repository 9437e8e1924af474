// The one place libsodium is loaded. Always the sumo build: HMAC-SHA256 and SHA-2 exist
// only there (the standard build's typings declare them anyway and fail at run time).
import sodiumModule from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodiumModule;

let initialised = false;
let readyPromise: Promise<Sodium> | undefined;

/** Resolves once libsodium's WebAssembly is initialised; cheap to call repeatedly. */
export function sodiumReady(): Promise<Sodium> {
  readyPromise ??= sodiumModule.ready.then(() => {
    initialised = true;
    return sodiumModule;
  });
  return readyPromise;
}

/** Synchronous access after `await sodiumReady()`; throws if called too early. */
export function sodium(): Sodium {
  if (!initialised) throw new Error('libsodium used before sodiumReady() resolved');
  return sodiumModule;
}
