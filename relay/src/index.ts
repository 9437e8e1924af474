// Public surface of the relay package: the runtime-neutral app and its contracts.
// Runtime entries: ./node.ts (CLI), ./node-server.ts (serveNode, used by tests and benches).
export type * from './store/types.ts';
export { createRelay, type Relay, type RelayDeps } from './app.ts';
export { type Bus, type BusEvent, type BusHandler, InProcessBus } from './bus.ts';
export { type ConfigOverrides, type RelayConfig, type RelayLimits, SETTINGS, loadConfig, resolveConfig } from './config.ts';
export { type Logger, createLogger } from './log.ts';
