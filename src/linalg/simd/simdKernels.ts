/**
 * The SIMD kernels of kernels.wat, one instance per thread (the main thread and each worker load
 * their own on first use), with the instance's memory as scratch space for the operands.
 *
 * Why WebAssembly: V8 compiles JavaScript loops to scalar code, and the dense products of the PCA
 * (with its orthonormalisations) and the screen of the exact kNN are bound by multiply-add throughput. The 128-bit SIMD versions
 * run about 3x faster on x86-64 and give the same bits as the scalar kernels (same operations in
 * the same order, no fused multiply-add), so callers may use either. No maintained npm package
 * offers Float64 register-tiled products over caller-laid-out panels, hence the small hand-written
 * module.
 *
 * Set CQAMINE_SIMD=0 to use the scalar JavaScript kernels instead (results are identical).
 */
import { SIMD_KERNELS_BASE64 } from './kernelsBinary.js';

/** The parts of the WebAssembly API used here (the ES2022 library this project compiles against has no typings for it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** The exported functions of kernels.wat; pointers are byte offsets into the instance's memory. */
interface KernelExports {
  mulRows(a: number, p: number, nRows: number, b: number, nPanels: number, out: number): void;
  transMulRows(a: number, w: number, nRows: number, q: number, qRows: number, nPanels: number, out: number): void;
  screenTile(q: number, qNorms: number, nqp: number, r: number, rNorms: number, nrp: number, dim: number, est: number, ld: number): void;
  gramTiles(x: number, xRows: number, nRows: number, nPanels: number, g: number, ld: number): void;
  mulUpperRows(y: number, l: number, nRows: number, u: number, nPanels: number, out: number): void;
}

/** One thread's instance of the kernels. */
export interface SimdKernels extends KernelExports {
  /**
   * Memory of at least `bytes` for the kernels (its contents are scratch). A larger request swaps in
   * a new memory, so views made before a `reserve` may no longer be the kernels' memory: take them
   * after the last `reserve` of a computation.
   */
  reserve(bytes: number): ArrayBuffer;
}

const PAGE_BYTES = 65536;
/** Smallest memory made (16 MB): most products fit, so the memory is rarely replaced. */
const MIN_PAGES = 256;
let cached: SimdKernels | null | undefined;

/** Bytes rounded up to a multiple of 16 (keeps every region 16-byte aligned for v128 loads). */
export function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

/**
 * The kernels bound to a memory that is replaced, never grown, when a call needs more: growing
 * would detach the old ArrayBuffer, and V8 then compiles every typed-array access of the thread
 * with a detach check (measured: a fifth to a third slower marker statistics afterwards).
 */
function instantiate(): SimdKernels | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(SIMD_KERNELS_BASE64, 'base64'));
    let memory: WasmMemory | null = null;
    let k: KernelExports | null = null;
    const bind = (bytes: number): KernelExports => {
      if (!k || !memory || memory.buffer.byteLength < bytes) {
        // 25% headroom so a slowly rising request does not replace the memory every time.
        memory = new wasm.Memory({ initial: Math.max(MIN_PAGES, Math.ceil((bytes * 1.25) / PAGE_BYTES)) });
        k = new wasm.Instance(module, { env: { memory } }).exports as KernelExports;
      }
      return k;
    };
    bind(0);
    return {
      mulRows: (...args) => k!.mulRows(...args),
      transMulRows: (...args) => k!.transMulRows(...args),
      screenTile: (...args) => k!.screenTile(...args),
      gramTiles: (...args) => k!.gramTiles(...args),
      mulUpperRows: (...args) => k!.mulUpperRows(...args),
      reserve(bytes: number): ArrayBuffer {
        bind(bytes);
        return memory!.buffer;
      },
    };
  } catch {
    // A runtime without WebAssembly SIMD: the scalar kernels do the work.
    return null;
  }
}

/** This thread's SIMD kernels, or null when disabled (CQAMINE_SIMD=0) or unsupported. */
export function simdKernels(): SimdKernels | null {
  if (cached === undefined) cached = process.env.CQAMINE_SIMD === '0' ? null : instantiate();
  return cached;
}

/**
 * Copies `rows` rows of `cols` values from `src` (row stride `srcStride`, e.g. a kernel's output
 * padded to whole panels) to rows `dstRow0...` of `dst` (row stride `cols`).
 */
export function copyUnpaddedRows(src: Float64Array, srcStride: number, dst: Float64Array, dstRow0: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = (dstRow0 + r) * cols, s = r * srcStride;
    for (let c = 0; c < cols; c++) dst[o + c] = src[s + c];
  }
}

/** Float64 working arrays and, when they live in a module's memory, their byte offsets there. */
export interface Float64Regions {
  readonly views: Float64Array[];
  readonly offsets: number[];
}

/**
 * Float64 arrays of the given lengths, zero-filled: laid out one after another (16-byte aligned) in
 * the module's memory when `simd` is given, so its kernels can address them, else ordinary arrays.
 */
export function float64Regions(simd: SimdKernels | null, lengths: readonly number[]): Float64Regions {
  if (!simd) return { views: lengths.map((n) => new Float64Array(n)), offsets: lengths.map(() => -1) };
  const offsets: number[] = [];
  let end = 0;
  for (const n of lengths) {
    offsets.push(end);
    end += align16(n * 8);
  }
  const buf = simd.reserve(end);
  return { views: lengths.map((n, i) => new Float64Array(buf, offsets[i], n).fill(0)), offsets };
}
