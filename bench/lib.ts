// Bench plumbing: interleaved sampling against a reference, the C reference
// process, rows with median (min–max), ratio and target, and the JSON output.
// A figure is never one sample: each row holds >= SAMPLES samples taken in turn
// with its reference's samples (path, reference, path, reference, ...), so a
// burst of steal on this shared 2-core machine hits both sides alike.
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';

export const SAMPLES = Math.max(5, Number(process.env.BENCH_SAMPLES ?? 5));
/** time per micro-benchmark sample, ms */
export const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 120);

/** A target on the row's median (`value`) or on its ratio to the reference (`ratio`). */
export interface Target { on: 'value' | 'ratio'; op: '>=' | '<='; x: number }

export interface Row {
  name: string;
  unit: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  reference: { name: string; unit: string; median: number; samples: number[] } | null;
  /** median of the per-pair ratios path/reference (see pairRatios) */
  ratio: number | null;
  target: string;
  met: boolean | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The ratio of one path sample to the reference sample taken beside it: for a
 * rate (higher is better) path/ref, so 0.5 means half the reference's speed;
 * for a time (lower is better) path/ref too, so 3 means three times as long.
 * The row's ratio is the median of these per-pair ratios.
 */
function pairRatios(path: number[], ref: number[]): number[] {
  return path.map((p, i) => p / ref[i]);
}

export function targetText(t: Target | null, unit: string): string {
  if (!t) return '-';
  return t.on === 'ratio' ? `ratio ${t.op} ${t.x}` : `${t.op} ${t.x} ${unit}`;
}

export function makeRow(name: string, unit: string, samples: number[], ref: { name: string; unit?: string; samples: number[] } | null, target: Target | null): Row {
  const ratio = ref ? median(pairRatios(samples, ref.samples)) : null;
  const med = median(samples);
  let met: boolean | null = null;
  if (target) {
    const v = target.on === 'ratio' ? ratio : med;
    met = v !== null && Number.isFinite(v) && (target.op === '>=' ? v >= target.x : v <= target.x);
  }
  return {
    name, unit, samples, median: med, min: Math.min(...samples), max: Math.max(...samples),
    reference: ref ? { name: ref.name, unit: ref.unit ?? unit, median: median(ref.samples), samples: ref.samples } : null,
    ratio, target: targetText(target, unit), met,
  };
}

/** Run `batch` (which does some work and returns how many operations it did) for >= ms; ns per operation. */
export function nsPerOp(batch: () => number, ms = SAMPLE_MS): number {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  do {
    ops += batch();
    el = Number(process.hrtime.bigint() - t0);
  } while (el < ms * 1e6);
  return el / ops;
}

/** Wall time of one call, ms. */
export function wallMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Alternate path and reference samples, SAMPLES of each (one warm-up pair first, discarded). */
export async function interleave(pathSample: () => number | Promise<number>, refSample: () => number | Promise<number>, n = SAMPLES, warmup = true): Promise<{ path: number[]; ref: number[] }> {
  if (warmup) { await pathSample(); await refSample(); }
  const p: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < n; i++) {
    p.push(await pathSample());
    r.push(await refSample());
  }
  return { path: p, ref: r };
}

/** The C reference (bench/c/famfs_ref.c), spawned once; one command line in, one answer line out. */
export class CReference {
  private proc: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting: ((l: string) => void) | null = null;
  private exited: string | null = null;

  constructor(bin: string) {
    if (!fs.existsSync(bin)) throw new Error(`C reference ${bin} not built (run make bench)`);
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.proc.stdout }).on('line', (l) => {
      if (this.waiting) { const w = this.waiting; this.waiting = null; w(l); } else this.lines.push(l);
    });
    this.proc.on('exit', (code, sig) => {
      this.exited = `C reference exited (${code ?? sig})`;
      if (this.waiting) this.waiting(`error ${this.exited}`);
    });
  }

  /** Send one command; its answer line, split into fields. */
  async cmd(line: string): Promise<string[]> {
    if (this.exited) throw new Error(this.exited);
    this.proc.stdin.write(line + '\n');
    const ans = this.lines.length ? (this.lines.shift() as string) : await new Promise<string>((res) => { this.waiting = res; });
    if (ans.startsWith('error')) throw new Error(`C reference: ${ans} (for: ${line.slice(0, 80)})`);
    return ans.trim().split(/\s+/);
  }

  close(): void {
    this.proc.stdin.end('quit\n');
  }
}

const fmtNum = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

/** `median (min–max) unit` */
export function figure(median: number, min: number, max: number, unit: string): string {
  return `${fmtNum(median)} (${fmtNum(min)}–${fmtNum(max)}) ${unit}`;
}

export function printRows(rows: Row[], out: (s: string) => void = console.log): void {
  for (const r of rows) {
    const ref = r.reference ? `${r.reference.name}: ${fmtNum(r.reference.median)} ${r.reference.unit}` : 'no reference';
    const ratio = r.ratio === null ? '' : `  ratio ${fmtNum(r.ratio)}x`;
    const verdict = r.met === null ? '' : r.met ? '  MET' : '  NOT MET';
    out(`${r.name}\n    ${figure(r.median, r.min, r.max, r.unit)}   vs ${ref}${ratio}   target ${r.target}${verdict}`);
  }
}

/** bench/results (git-ignored, so absent on a fresh clone until the first write): made here. */
export function resultsDir(): string {
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** bench/results/latest.json: {"rows":[...]} (an output, ignored by git). */
export function writeResults(rows: Row[], extra: Record<string, unknown> = {}): string {
  const file = path.join(resultsDir(), 'latest.json');
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, samples_per_row: SAMPLES, ...extra, rows }, null, 1) + '\n');
  return file;
}
