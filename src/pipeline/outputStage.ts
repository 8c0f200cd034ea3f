/**
 * Stages a run's outputs in a hidden temporary directory beside `--out` and moves them in only
 * when the whole run succeeded, so a failed run leaves no half-written files in `--out` and an
 * earlier result there is replaced only by a complete one.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from '../core/errors.js';

export class OutputStage {
  /** The final directory. */
  readonly outDir: string;
  /** Where files are written until `commit()`. */
  readonly stageDir: string;
  private readonly written: string[] = [];

  constructor(outDir: string) {
    this.outDir = resolve(outDir);
    if (existsSync(this.outDir) && !statSync(this.outDir).isDirectory()) {
      throw new OutputError(`expected --out to be a directory, got the file ${this.outDir}`);
    }
    this.stageDir = join(dirname(this.outDir), `.${basename(this.outDir)}.partial-${process.pid}`);
    try {
      rmSync(this.stageDir, { recursive: true, force: true });
      mkdirSync(this.stageDir, { recursive: true });
    } catch (e) {
      throw new OutputError(`cannot create a staging directory beside ${this.outDir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Path inside the stage for output `name` (recorded for `commit`). */
  path(name: string): string {
    if (!this.written.includes(name)) this.written.push(name);
    return join(this.stageDir, name);
  }

  /** Names of the outputs staged so far, in the order first requested. */
  get names(): readonly string[] {
    return this.written;
  }

  /** Moves every staged file into `outDir` (created if needed) and removes the stage. */
  commit(): string[] {
    try {
      mkdirSync(this.outDir, { recursive: true });
      const moved: string[] = [];
      for (const name of readdirSync(this.stageDir)) {
        renameSync(join(this.stageDir, name), join(this.outDir, name));
        moved.push(join(this.outDir, name));
      }
      rmSync(this.stageDir, { recursive: true, force: true });
      return moved;
    } catch (e) {
      throw new OutputError(`cannot move results into ${this.outDir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Discards everything staged. */
  abort(): void {
    rmSync(this.stageDir, { recursive: true, force: true });
  }
}
