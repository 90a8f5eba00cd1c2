// Conformance reports: KTAP version 1 (what kunit.py parse reads: one suite per
// kernel function, nested two spaces, XFAIL/SKIP directives, diagnostics before
// each `not ok`, a kselftest-style Totals line), JUnit XML, JSON lines, and a
// human-readable summary. Every format ends the run with the same counts.
import { hexdump } from '../uapi/fmap_codec';
import { fuse_opcode, FUSE_KERNEL_MINOR_VERSION, FAMFS_CHANGELOG_MINOR } from '../uapi/fuse';
import type { VectorResult, Status } from './vectors';

export const HARNESS_VERSION = '0.1.0';
export const SERIES = 'v9';

export interface Totals { pass: number; fail: number; xfail: number; xpass: number; skip: number; error: number }

export function totals(results: VectorResult[]): Totals {
  const t: Totals = { pass: 0, fail: 0, xfail: 0, xpass: 0, skip: 0, error: 0 };
  for (const r of results) t[r.status]++;
  return t;
}

/** Exit status: 0 when nothing failed (XFAIL is fine), 1 otherwise. */
export function exitCode(t: Totals): number {
  return t.fail + t.xpass + t.error > 0 ? 1 : 0;
}

/** The plain closing line CI reads. */
export function closingLine(t: Totals): string {
  return `${t.pass + t.xfail} passed, ${t.fail + t.xpass + t.error} failed, ${t.skip} skipped`;
}

export function totalsLine(t: Totals): string {
  return `# Totals: pass:${t.pass} fail:${t.fail} xfail:${t.xfail} xpass:${t.xpass} skip:${t.skip} error:${t.error}`;
}

function groupByFn(results: VectorResult[]): Map<string, VectorResult[]> {
  const m = new Map<string, VectorResult[]>();
  for (const r of results) {
    const list = m.get(r.vector.fn) ?? [];
    list.push(r);
    m.set(r.vector.fn, list);
  }
  return m;
}

const clean = (s: string) => s.replace(/#/g, 'no.').replace(/\s+/g, ' ').trim();

export function reproCommand(r: VectorResult): string {
  return r.repro ?? `famfs-harness conformance --vectors ${r.file} --filter ${r.vector.id}`;
}

/** Diagnostic lines (without the "# " prefix) explaining a result. */
export function diagnostics(r: VectorResult): string[] {
  const d: string[] = [];
  d.push(`source: ${r.vector.source}`);
  if (r.vector.kernel_flaw) d.push(`known v9 flaw: ${r.vector.kernel_flaw}`);
  d.push(`expected: ${JSON.stringify(r.vector.expect)}`);
  d.push(`actual: ${JSON.stringify(r.actual)}`);
  if (r.why) d.push(`why: ${r.why}`);
  if (r.details) d.push(...r.details);
  if (r.payload) d.push(`payload (${r.payload.length} bytes):`, ...hexdump(r.payload, 256).map((l) => `  ${l}`));
  for (const l of r.dmesg.slice(-6)) d.push(`dmesg: ${l}`);
  d.push(`repro: ${reproCommand(r)}`);
  return d;
}

const resultWord = (s: Status) => (s === 'pass' || s === 'skip' ? 'ok' : 'not ok');

function directive(r: VectorResult): string {
  if (r.status === 'xfail') return ` # XFAIL ${clean(r.vector.kernel_flaw ?? '')}`;
  if (r.status === 'skip') return ` # SKIP ${clean(r.why ?? '')}`;
  if (r.status === 'error') return ` # ERROR ${clean(r.why ?? '')}`;
  return '';
}

export function headerComment(): string {
  return `famfs-harness ${HARNESS_VERSION}: series ${SERIES}, FUSE 7.${FUSE_KERNEL_MINOR_VERSION} (changelog 7.${FAMFS_CHANGELOG_MINOR}), GET_FMAP=${fuse_opcode.FUSE_GET_FMAP}, GET_DAXDEV=${fuse_opcode.FUSE_GET_DAXDEV}, FUSE_DAX_FMAP=bit 43`;
}

export function toKtap(results: VectorResult[]): string {
  const out: string[] = ['KTAP version 1', `# ${headerComment()}`];
  const groups = [...groupByFn(results)];
  out.push(`1..${groups.length}`);
  groups.forEach(([fn, list], gi) => {
    out.push('  KTAP version 1', `  # Subtest: ${fn}`, `  1..${list.length}`);
    list.forEach((r, i) => {
      if (r.status !== 'pass') for (const l of diagnostics(r)) out.push(`  # ${l}`);
      out.push(`  ${resultWord(r.status)} ${i + 1} ${r.vector.id}${directive(r)}`);
    });
    const bad = list.some((r) => r.status === 'fail' || r.status === 'xpass' || r.status === 'error');
    out.push(`${bad ? 'not ok' : 'ok'} ${gi + 1} ${fn}`);
  });
  const t = totals(results);
  out.push(totalsLine(t), closingLine(t));
  return out.join('\n') + '\n';
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function toJunit(results: VectorResult[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = totals(results);
  out.push(`<testsuites name="famfs-harness" tests="${results.length}" failures="${t.fail + t.xpass}" errors="${t.error}" skipped="${t.skip}">`);
  for (const [fn, list] of groupByFn(results)) {
    const f = list.filter((r) => r.status === 'fail' || r.status === 'xpass').length;
    const e = list.filter((r) => r.status === 'error').length;
    const s = list.filter((r) => r.status === 'skip').length;
    out.push(`  <testsuite name="${xml(fn)}" tests="${list.length}" failures="${f}" errors="${e}" skipped="${s}">`);
    for (const r of list) {
      out.push(`    <testcase classname="${xml(fn)}" name="${xml(r.vector.id)}">`);
      const body = xml(diagnostics(r).join('\n'));
      if (r.status === 'fail' || r.status === 'xpass') out.push(`      <failure message="${xml(r.why ?? 'failed')}">${body}</failure>`);
      else if (r.status === 'error') out.push(`      <error message="${xml(r.why ?? 'error')}">${body}</error>`);
      else if (r.status === 'skip') out.push(`      <skipped message="${xml(r.why ?? '')}"/>`);
      else if (r.status === 'xfail') out.push(`      <system-out>${xml('XFAIL (known v9 flaw): ' + (r.vector.kernel_flaw ?? ''))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

export function toJsonLines(results: VectorResult[]): string {
  const lines = results.map((r) => JSON.stringify({
    id: r.vector.id, fn: r.vector.fn, file: r.file, status: r.status, why: r.why ?? null,
    expect: r.vector.expect, actual: r.actual, kernel_flaw: r.vector.kernel_flaw ?? null,
  }));
  lines.push(JSON.stringify({ totals: totals(results) }));
  return lines.join('\n') + '\n';
}
