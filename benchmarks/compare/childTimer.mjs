/**
 * What both benchmark children share: their command-line options and a step timer that records
 * wall-clock and CPU seconds (user + system of every thread of the process, workers included;
 * CPU seconds stay meaningful on a busy machine) plus a per-tool memory probe after each step.
 */
import { parseArgs } from 'node:util';

/** The children's options: --samples --threads --resolution --epochs --out --labels. */
export function parseChildArgs() {
  return parseArgs({
    options: {
      samples: { type: 'string' },
      threads: { type: 'string', default: '1' },
      resolution: { type: 'string', default: '0.8' },
      epochs: { type: 'string', default: '500' },
      out: { type: 'string' },
      labels: { type: 'string' },
    },
  }).values;
}

/**
 * A step timer: `timed(name, fn)` runs `fn`, records its seconds in `steps[name]` and `cpu[name]`
 * and `memory[name] = probe()`, and returns its value.
 */
export function createStepTimer(probe) {
  const steps = {};
  const cpu = {};
  const memory = {};
  async function timed(name, fn) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const v = await fn();
    steps[name] = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    cpu[name] = (c.user + c.system) / 1e6;
    memory[name] = probe();
    return v;
  }
  return { steps, cpu, memory, timed };
}
