/**
 * Converters from command-line strings to typed values (commander `.argParser`). They only
 * convert; ranges are checked by the steps' `validate`, so the library and the CLI agree.
 */
import { InvalidArgumentError } from 'commander';

/** A finite number. */
export function toNumber(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  return x;
}

/** An integer. */
export function toInt(v: string): number {
  const x = toNumber(v);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
  return x;
}

/** A positive integer or one of the keywords (e.g. cells per lot: 300, 'min', 'all'). */
export function toIntOrKeyword(keywords: readonly string[]) {
  return (v: string): number | string => {
    if (keywords.includes(v)) return v;
    const x = Number(v);
    if (!Number.isInteger(x) || x <= 0) throw new InvalidArgumentError(`expected a positive integer or ${keywords.join('/')}, got '${v}'`);
    return x;
  };
}

/** Collects a repeatable option into a list (also splitting on commas). */
export function collect(v: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}
