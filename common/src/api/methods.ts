// The MessengerApi's callable method names as a runtime list, so every transport (the
// Electron preload, the web host) builds and checks its surface from one place. The
// types below fail to compile if this list and the interface drift apart.
import type { MessengerMethod } from './messenger-api.ts';
import { MethodParams, type MethodName } from './params.ts';

export const MESSENGER_API_METHODS = Object.freeze(Object.keys(MethodParams) as MethodName[]) as readonly MessengerMethod[];

const METHOD_SET: ReadonlySet<string> = new Set(MESSENGER_API_METHODS);

export function isMessengerMethod(name: unknown): name is MessengerMethod {
  return typeof name === 'string' && METHOD_SET.has(name);
}
