// The MessengerApi: the one contract between the UI and the client engine.
export * from './model.ts';
export * from './events.ts';
export * from './errors.ts';
export * from './params.ts';
export * from './messenger-api.ts';
export * from './methods.ts';
export * from './shell.ts';
export * from './page-call.ts';
