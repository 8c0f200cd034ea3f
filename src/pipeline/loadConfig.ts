/** Reads a JSON config file and merges it over the defaults (unknown keys: UsageError, exit 2). */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { mergeConfig } from './mergeConfig.js';
import { defaultConfig, type PipelineConfig } from './pipelineConfig.js';

/** The default config with `path`'s settings merged in (defaults alone when `path` is null). */
export function loadConfig(path: string | null): PipelineConfig {
  const defaults = defaultConfig();
  if (path === null) return defaults;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${path}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return mergeConfig(defaults, parsed, path);
}
