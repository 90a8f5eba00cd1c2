// Compare a run with a previous one (`conformance --baseline PREV.json`): what
// broke, what got fixed, which known flaw went away (XFAIL -> XPASS).
import type { Status } from './vectors';
import { isFailure } from './report';

export interface Outcome { fn: string; id: string; status: Status; why?: string }
export interface Change { key: string; before: Status | null; after: Status; why?: string }

export interface BaselineDiff {
  /** failing now, not failing before (or a new case that fails) */
  newFailures: Change[];
  /** failing before, not now */
  fixed: Change[];
  /** a known flaw that no longer shows */
  xfailToXpass: Change[];
  /** failing before and now */
  stillFailing: Change[];
  /** in the baseline, not in this run */
  gone: string[];
}

const keyOf = (o: { fn: string; id: string }) => `${o.fn}.${o.id}`;

export function compareWithBaseline(before: Outcome[], now: Outcome[]): BaselineDiff {
  const prev = new Map(before.map((o) => [keyOf(o), o.status]));
  const d: BaselineDiff = { newFailures: [], fixed: [], xfailToXpass: [], stillFailing: [], gone: [] };
  const seen = new Set<string>();
  for (const o of now) {
    const key = keyOf(o);
    seen.add(key);
    const was = prev.get(key) ?? null;
    const change: Change = { key, before: was, after: o.status, why: o.why };
    if (was === 'xfail' && o.status === 'xpass') d.xfailToXpass.push(change);
    else if (isFailure(o.status)) (was !== null && isFailure(was) ? d.stillFailing : d.newFailures).push(change);
    else if (was !== null && isFailure(was)) d.fixed.push(change);
  }
  for (const o of before) if (!seen.has(keyOf(o))) d.gone.push(keyOf(o));
  return d;
}

/** A regression: something fails that did not, or a known flaw vanished unannounced. */
export const isRegression = (d: BaselineDiff) => d.newFailures.length + d.xfailToXpass.length > 0;

export function baselineLines(d: BaselineDiff, file: string): string[] {
  const lines = [`baseline ${file}: ${d.newFailures.length} new failure(s), ${d.fixed.length} fixed, ${d.xfailToXpass.length} XFAIL->XPASS, ${d.stillFailing.length} still failing, ${d.gone.length} gone`];
  const row = (tag: string, c: Change) => `${tag} ${c.key} (${c.before ?? 'new'} -> ${c.after})${c.why ? `: ${c.why}` : ''}`;
  for (const c of d.newFailures) lines.push(row('new failure:', c));
  for (const c of d.xfailToXpass) lines.push(row('XFAIL->XPASS:', c));
  for (const c of d.fixed) lines.push(row('fixed:', c));
  for (const k of d.gone) lines.push(`gone: ${k}`);
  return lines;
}
