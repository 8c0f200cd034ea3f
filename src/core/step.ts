/**
 * The step convention: a pure kernel plus a thin step that merges defaults, rejects unknown
 * parameters, validates, logs start/finish with elapsed ms and appends a StepRecord to history.
 */
import type { AnnDataLite, Json } from './adata.js';
import type { Logger } from './log.js';
import type { Rng } from './rng.js';
import { UsageError } from './errors.js';
import { silentLogger } from './log.js';
import { createRng } from './rng.js';
import { collectGarbage } from './collectGarbage.js';
import { VERSION } from './version.js';

/** What a step gets besides data and parameters. */
export interface StepContext {
  readonly log: Logger;
  /** The step's own stream: already forked by step name. */
  readonly rng: Rng;
  /** Worker threads the step may use (1 = in the main thread only). */
  readonly threads: number;
  /** Called with a fraction in [0, 1] during long loops. */
  readonly progress?: (fraction: number) => void;
}

/** What callers pass: a logger, the run's root RNG, threads. */
export interface RunContext {
  log?: Logger;
  rng?: Rng;
  threads?: number;
  progress?: (step: string, fraction: number) => void;
}

export interface StepDefinition<P extends object> {
  /** snake_case name = uns key = config key. */
  readonly name: string;
  readonly defaults: P;
  readonly validate?: (p: P) => void;
  /**
   * True (for these parameters) when the step allocates nothing the size of a matrix: the full
   * collection every other step starts with (10-20 ms) only lowers the peak ahead of a large
   * allocation, so it is skipped.
   */
  readonly allocatesLittle?: (p: P) => boolean;
  readonly run: (adata: AnnDataLite, p: P, ctx: StepContext) => AnnDataLite | Promise<AnnDataLite>;
}

export interface Step<P extends object> {
  readonly name: string;
  readonly defaults: Readonly<P>;
  /** Merges `partial` into defaults, rejecting unknown keys and invalid values. */
  resolve(partial?: Partial<P>): P;
  /** Runs the step. */
  (adata: AnnDataLite, params?: Partial<P>, ctx?: RunContext): Promise<AnnDataLite>;
}

/** Merges a partial over defaults; unknown keys are a UsageError naming the step and key. */
export function mergeParams<P extends object>(stepName: string, defaults: P, partial: Partial<P> | undefined): P {
  const merged = { ...defaults } as Record<string, unknown>;
  if (partial) {
    for (const [k, v] of Object.entries(partial)) {
      if (!(k in defaults)) {
        throw new UsageError(`unknown parameter '${k}' for step '${stepName}' (known: ${Object.keys(defaults).join(', ')})`);
      }
      if (v !== undefined) merged[k] = v;
    }
  }
  return merged as P;
}

export function defineStep<P extends object>(def: StepDefinition<P>): Step<P> {
  const resolve = (partial?: Partial<P>): P => {
    const p = mergeParams(def.name, def.defaults, partial);
    def.validate?.(p);
    return p;
  };
  const step = async (adata: AnnDataLite, partial?: Partial<P>, rc: RunContext = {}): Promise<AnnDataLite> => {
    const p = resolve(partial);
    const log = (rc.log ?? silentLogger).child({ step: def.name });
    const root = rc.rng ?? createRng(0);
    const ctx: StepContext = {
      log,
      rng: root.fork(def.name),
      threads: rc.threads ?? 1,
      progress: rc.progress ? (f: number) => rc.progress!(def.name, f) : undefined,
    };
    // Frees the matrices of earlier steps' inputs the caller has dropped (see collectGarbage).
    if (!def.allocatesLittle?.(p)) collectGarbage();
    const t0 = performance.now();
    log.debug({ nObs: adata.nObs, nVars: adata.nVars }, 'started');
    const out = await def.run(adata, p, ctx);
    const ms = Math.round(performance.now() - t0);
    log.info({ ms, nObs: out.nObs, nVars: out.nVars }, 'finished');
    return out.with({
      history: [...out.history, { step: def.name, params: p as unknown as Json, seed: root.seed, ms, version: VERSION }],
    });
  };
  // Function.name is read-only; define it so logs and tests see the step's name.
  Object.defineProperty(step, 'name', { value: def.name });
  return Object.assign(step, { defaults: def.defaults, resolve }) as unknown as Step<P>;
}
