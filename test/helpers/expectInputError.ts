/** Asserts that an async call fails with an InputError (exit 3) and returns it for message checks. */
import { expect } from 'vitest';
import { InputError } from '../../src/core/errors.js';

/** Runs `fn` and returns the InputError it throws (fails the test otherwise). */
export async function inputError(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).exitCode).toBe(3);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}
