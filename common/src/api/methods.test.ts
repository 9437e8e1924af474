import { describe, expect, it } from 'vitest';
import { MESSENGER_API_METHODS, isMessengerMethod } from './methods.ts';
import { MethodParams } from './params.ts';

describe('MESSENGER_API_METHODS', () => {
  it('lists every method with a parameter schema, once', () => {
    expect([...MESSENGER_API_METHODS].sort()).toEqual(Object.keys(MethodParams).sort());
    expect(new Set(MESSENGER_API_METHODS).size).toBe(MESSENGER_API_METHODS.length);
  });

  it('does not list subscribe (events travel on their own channel) nor inherited names', () => {
    expect(isMessengerMethod('subscribe')).toBe(false);
    expect(isMessengerMethod('constructor')).toBe(false);
    expect(isMessengerMethod('__proto__')).toBe(false);
    expect(isMessengerMethod(42)).toBe(false);
    expect(isMessengerMethod('sendText')).toBe(true);
  });
});
