/**
 * Merging a user's JSON config over the full default config. Every key the user gives must exist
 * in the defaults (a typo is an error, not a silently ignored setting), and each value must have
 * the default's JSON type, except where the default is null (then any value is accepted and the
 * consuming step validates it) or the default is a keyword string and the value a number.
 */
import { UsageError } from '../core/errors.js';

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Returns `defaults` with `user` merged in (recursively for nested objects).
 * @param source names the config in error messages (a file path or 'command line').
 * @throws UsageError naming the dotted key path for unknown keys and type mismatches.
 */
export function mergeConfig<T extends Plain>(defaults: T, user: unknown, source: string, path = ''): T {
  if (!isPlainObject(user)) {
    throw new UsageError(`expected a JSON object${path ? ` at '${path}'` : ''} in ${source}, got ${typeName(user)}`);
  }
  const out: Plain = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in defaults)) {
      const known = Object.keys(defaults).join(', ');
      throw new UsageError(`unknown config key '${where}' in ${source} (known at this level: ${known})`);
    }
    const def = defaults[key];
    if (isPlainObject(def)) {
      out[key] = mergeConfig(def, value, source, where);
    } else if (def === null || value === null || typeName(def) === typeName(value)) {
      out[key] = value;
    } else {
      // Options whose default is a keyword (cellsPerLot: 'min') also take a number.
      const numberForKeyword = typeof def === 'string' && typeof value === 'number';
      if (!numberForKeyword) {
        throw new UsageError(`expected ${typeName(def)} for config key '${where}' in ${source}, got ${typeName(value)}`);
      }
      out[key] = value;
    }
  }
  return out as T;
}
