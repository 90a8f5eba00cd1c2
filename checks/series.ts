// `series FILE.mbox`: the patches of a series and, for every famfs.c hunk, the C
// functions it touches with their port-map rows — what a new revision obliges
// us to re-check in kernel/.
import { FAMFS_C_FUNCTIONS, PortMapRow } from './portmap';

export interface HunkReport {
  file: string;
  header: string;
  functions: string[];
}

export interface PatchReport {
  subject: string;
  files: string[];
  hunks: HunkReport[];
}

const NAMES = FAMFS_C_FUNCTIONS.map((f) => f.name).sort((a, b) => b.length - a.length);

/** Split an mbox (or a single patch) into patches: a new one starts at an mbox "From " line. */
function splitPatches(text: string): { subject: string; body: string }[] {
  const lines = text.split('\n');
  const out: { subject: string; body: string[] }[] = [{ subject: '', body: [] }];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^From \S+ .*\d{4}$/.test(l)) { out.push({ subject: '', body: [] }); continue; }
    const cur = out[out.length - 1];
    if (l.startsWith('Subject: ') && !cur.subject) {
      let subj = l.slice(9);
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1])) subj += ' ' + lines[++i].trim(); // folded header
      cur.subject = subj;
      continue;
    }
    cur.body.push(l);
  }
  return out.filter((p) => p.body.some((b) => b.startsWith('+++ '))).map((p) => ({ subject: p.subject || '(no subject)', body: p.body.join('\n') }));
}

/** Which known famfs.c functions a hunk's header and changed lines name. */
function touched(header: string, changed: string[]): string[] {
  const text = [header, ...changed].join('\n');
  return NAMES.filter((n) => new RegExp(`(^|[^\\w])${n}([^\\w]|$)`, 'm').test(text));
}

export function analyzeSeries(text: string): PatchReport[] {
  return splitPatches(text).map(({ subject, body }) => {
    const files: string[] = [];
    const hunks: HunkReport[] = [];
    let file = '';
    let hunk: { header: string; changed: string[] } | null = null;
    const flush = () => {
      if (hunk && file) hunks.push({ file, header: hunk.header, functions: file.endsWith('fs/fuse/famfs.c') ? touched(hunk.header, hunk.changed) : [] });
      hunk = null;
    };
    for (const l of body.split('\n')) {
      const f = /^\+\+\+ b\/(.*)$/.exec(l);
      if (f) { flush(); file = f[1]; files.push(file); continue; }
      if (l.startsWith('diff --git')) { flush(); continue; }
      if (l.startsWith('@@')) { flush(); hunk = { header: l, changed: [] }; continue; }
      if (hunk && (l.startsWith('+') || l.startsWith('-')) && !l.startsWith('---')) (hunk as { changed: string[] }).changed.push(l);
    }
    flush();
    return { subject, files, hunks };
  });
}

/** The port-map rows a series obliges a reviewer to re-check. */
export function rowsToRecheck(reports: PatchReport[], portmap: PortMapRow[]): PortMapRow[] {
  const names = new Set(reports.flatMap((p) => p.hunks.flatMap((h) => h.functions)));
  return portmap.filter((r) => names.has(r.c_function));
}
