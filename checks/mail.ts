// The one mail reader at the door (the b4 way): everything behind it — series,
// abi --check, review, cdiff --series — sees clean, decoded patches.
//
// API
//   readMail(input: Buffer | string): MailRead
//     input: an mbox of many messages (mboxo/mboxrd "From " separators, as lore,
//     b4 and `git format-patch --stdout` write them), one `git format-patch`
//     file, one message as delivered (.eml), or a plain diff without headers.
//     Each message's body is decoded once: Content-Transfer-Encoding
//     quoted-printable / base64 / 7bit / 8bit, its charset, multipart parts
//     (text parts and *.patch / *.diff attachments), then CRLF -> LF.
//     Returns { patches, skipped, messages }:
//       patches  Patch[] in input order, each { subject, title, version, number,
//                total, rfc, from, date, messageId, encoding, files, problems }
//       skipped  { subject, reason } for cover letters ([PATCH 0/N]), replies
//                (Re:/Fwd: subjects, quoted "> " diffs) and messages with no diff
//   parseSubject(subject): SubjectInfo — `[PATCH vN M/T] title`, `[RFC PATCH]`,
//     `[PATCH net-next v3 2/7]`, reply prefixes.
//   parseDiff(text): { files: FileDiff[], problems: string[] } — unified/git diff;
//     hunks are read by their line counts, so the "-- " signature and the
//     diffstat never leak into a hunk. A FileDiff has oldPath/newPath (null for
//     /dev/null), isNew/isDeleted, binary, and hunks; a Hunk has oldStart,
//     oldLines, newStart, newLines, header (the @@ line), context (git's
//     function header after the second @@) and lines (each with its ' ', '+',
//     '-' or '\' prefix).
//   inSeriesOrder(patches): numbered patches sorted by number (stable), as b4 applies them.
//   A gzipped input (lore's t.mbox.gz) is unpacked first, up to MAX_GUNZIPPED;
//   an unreadable one throws MailError.
//
// libmime (nodemailer) decodes headers (folding, RFC 2047 words, parameters)
// and libqp quoted-printable; base64 is Node's own. The diff reader is ours:
// the npm diff parsers do not keep git's extended headers (new file mode,
// binary) together with count-checked hunks from a mail body.
import * as zlib from 'zlib';
import libmime from 'libmime';
import * as libqp from 'libqp';

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** the whole "@@ -a,b +c,d @@ ctx" line */
  header: string;
  /** git's function header after the second "@@" ('' when none) */
  context: string;
  /** the hunk body, each line with its ' ', '+', '-' or '\' prefix */
  lines: string[];
}

export interface FileDiff {
  /** path before the change, without the a/ prefix; null for /dev/null */
  oldPath: string | null;
  /** path after the change, without the b/ prefix; null for a deleted file */
  newPath: string | null;
  isNew: boolean;
  isDeleted: boolean;
  binary: boolean;
  hunks: Hunk[];
}

export interface SubjectInfo {
  /** the subject with its [PATCH ...] prefix and reply markers removed */
  title: string;
  /** N of "vN" (1 when the subject has [PATCH] without a version) */
  version: number | null;
  number: number | null;
  total: number | null;
  rfc: boolean;
  /** "[PATCH ...]"-style prefix present */
  isPatch: boolean;
  /** Re:, Fwd:, AW: ... */
  isReply: boolean;
}

export interface Patch extends SubjectInfo {
  subject: string;
  from: string;
  date: string;
  messageId: string;
  /** how the body came: quoted-printable, base64, 8bit, 7bit, or "plain diff" */
  encoding: string;
  files: FileDiff[];
  /** malformed hunks and the like, one line each */
  problems: string[];
}

export interface Skipped { subject: string; reason: string }

export interface MailRead {
  patches: Patch[];
  skipped: Skipped[];
  /** messages seen (a plain diff counts as one) */
  messages: number;
}

// ---- mbox and messages ----------------------------------------------------

/** An mbox separator: "From <sender> <asctime>" (format-patch, b4, lore, mutt). */
const MBOX_FROM = /^From \S+ +\w{3} +\w{3} +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})? +(?:[A-Z]{3,5} +)?\d{4}\s*$/;
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+:/;
const MAIL_HEADERS = /^(from|subject|date|message-id|mime-version|content-type|to|cc|in-reply-to|references):/im;

/** Split raw (latin1) text into messages; mboxrd ">From " quoting is undone. */
function splitMbox(raw: string): string[] {
  const lines = raw.split('\n');
  if (!lines.some((l) => MBOX_FROM.test(l))) return [raw];
  const out: string[][] = [];
  let cur: string[] | null = null;
  for (const l of lines) {
    if (MBOX_FROM.test(l)) { cur = []; out.push(cur); continue; }
    if (!cur) { if (l.trim()) { cur = []; out.push(cur); } else continue; }
    cur.push(/^>+From /.test(l) ? l.slice(1) : l);
  }
  return out.map((m) => m.join('\n'));
}

/** Does this text open with a mail header block (not a diff that starts "Index:")? */
function hasHeaderBlock(text: string): boolean {
  const end = text.search(/\n\n/);
  const block = end < 0 ? text : text.slice(0, end);
  const lines = block.replace(/^\n+/, '').split('\n');
  return lines.length > 0 && HEADER_LINE.test(lines[0])
    && lines.every((l) => HEADER_LINE.test(l) || /^[ \t]/.test(l)) && MAIL_HEADERS.test(block);
}

interface Part { headers: Record<string, string[]>; body: Buffer }

function header(h: Record<string, string[]>, name: string): string {
  const v = h[name];
  return v && v.length ? libmime.decodeWords(v[0]).trim() : '';
}

function splitHeaders(raw: Buffer): Part {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? raw.subarray(Buffer.byteLength(text.slice(0, m.index + m[0].length), 'latin1')) : Buffer.alloc(0);
  // raw 8-bit header bytes are UTF-8 in practice; RFC 2047 words are decoded per header
  return { headers: libmime.decodeHeaders(Buffer.from(head, 'latin1').toString('utf8')) as Record<string, string[]>, body };
}

function decodeCharset(bytes: Buffer, charset: string): string {
  const cs = charset.toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === '') return bytes.toString('utf8');
  try {
    return new TextDecoder(cs).decode(new Uint8Array(bytes));
  } catch {
    return bytes.toString('utf8'); // an unknown label: patches are UTF-8 in practice
  }
}

/** Decode one MIME entity to text; multipart entities give their text and patch parts joined. */
/** MIME nesting deeper than this is not a patch mail; it is cut off rather than recursed into. */
const MAX_MIME_DEPTH = 16;

function decodeEntity(part: Part, encodings: string[], depth = 0): string {
  const ctype = libmime.parseHeaderValue(header(part.headers, 'content-type') || 'text/plain');
  const type = ctype.value.toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = ctype.params.boundary;
    if (!boundary || depth >= MAX_MIME_DEPTH) return '';
    return multipartParts(part.body, boundary).map((p) => decodeEntity(splitHeaders(p), encodings, depth + 1)).filter(Boolean).join('\n');
  }
  const disposition = libmime.parseHeaderValue(header(part.headers, 'content-disposition') || 'inline');
  const name = disposition.params.filename ?? ctype.params.name ?? '';
  const wanted = type.startsWith('text/') || /\.(patch|diff)$/i.test(name) || type === 'application/x-patch';
  if (!wanted || type === 'text/html') return '';
  const cte = (header(part.headers, 'content-transfer-encoding') || '7bit').toLowerCase();
  encodings.push(cte);
  const bytes = cte === 'quoted-printable' ? libqp.decode(part.body)
    : cte === 'base64' ? Buffer.from(part.body.toString('latin1'), 'base64')
      : part.body;
  return decodeCharset(bytes, ctype.params.charset ?? 'utf-8').replace(/\r\n?/g, '\n');
}

function multipartParts(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const sep = `--${boundary}`;
  const parts: Buffer[] = [];
  let pos = text.indexOf(sep);
  while (pos >= 0) {
    const after = pos + sep.length;
    if (text.startsWith('--', after)) break; // closing delimiter
    const start = text.indexOf('\n', after) + 1;
    const next = text.indexOf(`\n${sep}`, start);
    if (start <= 0 || next < 0) break;
    parts.push(Buffer.from(text.slice(start, next).replace(/\r$/, ''), 'latin1'));
    pos = next + 1;
  }
  return parts;
}

// ---- subjects ---------------------------------------------------------------

const REPLY_PREFIX = /^\s*((re|fwd?|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+/i;

export function parseSubject(subject: string): SubjectInfo {
  let s = subject.replace(/\s+/g, ' ').trim();
  const isReply = REPLY_PREFIX.test(s);
  s = s.replace(REPLY_PREFIX, '');
  const info: SubjectInfo = { title: s, version: null, number: null, total: null, rfc: false, isPatch: false, isReply };
  let m: RegExpExecArray | null;
  while ((m = /^\[([^\]]*)\]\s*/.exec(s))) {
    for (const tok of m[1].trim().split(/[\s,]+/)) {
      if (/^(patch|patchv\d+)$/i.test(tok)) { info.isPatch = true; const v = /\d+$/.exec(tok); if (v) info.version = Number(v[0]); }
      else if (/^rfc$/i.test(tok)) { info.rfc = true; info.isPatch = true; }
      else if (/^v\d+$/i.test(tok)) info.version = Number(tok.slice(1));
      else if (/^\d+\/\d+$/.test(tok)) { const [n, t] = tok.split('/').map(Number); info.number = n; info.total = t; }
    }
    s = s.slice(m[0].length);
  }
  if (info.isPatch && info.version === null) info.version = 1;
  info.title = s.trim();
  return info;
}

// ---- diffs --------------------------------------------------------------------

function diffPath(p: string): string | null {
  let s = p.replace(/\t.*$/, '').trim();
  if (s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s === '/dev/null') return null;
  return s.replace(/^[ab]\//, '');
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** Read a hunk by its counts from lines[i] (the @@ line); returns the hunk and the next index. */
function readHunk(lines: string[], i: number, file: string, problems: string[]): [Hunk, number] {
  const m = HUNK.exec(lines[i])!;
  const hunk: Hunk = {
    oldStart: Number(m[1]), oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]), newLines: m[4] === undefined ? 1 : Number(m[4]),
    header: lines[i], context: m[5].trim(), lines: [],
  };
  let oldLeft = hunk.oldLines;
  let newLeft = hunk.newLines;
  let j = i + 1;
  for (; j < lines.length && (oldLeft > 0 || newLeft > 0); j++) {
    const l = lines[j];
    const c = l[0];
    if (c === '\\') { hunk.lines.push(l); continue; }
    // a mailer may strip the space of an empty context line
    if (c === ' ' || l === '') { if (oldLeft <= 0 || newLeft <= 0) break; oldLeft--; newLeft--; hunk.lines.push(l === '' ? ' ' : l); continue; }
    if (c === '-' && oldLeft > 0) { oldLeft--; hunk.lines.push(l); continue; }
    if (c === '+' && newLeft > 0) { newLeft--; hunk.lines.push(l); continue; }
    break;
  }
  if (j < lines.length && lines[j].startsWith('\\')) hunk.lines.push(lines[j++]);
  if (oldLeft > 0 || newLeft > 0) {
    problems.push(`${file}: hunk ${hunk.header.replace(/ @@.*/, ' @@')} ends early (${hunk.oldLines - oldLeft}/${hunk.oldLines} old, ${hunk.newLines - newLeft}/${hunk.newLines} new lines)`);
  }
  return [hunk, j];
}

export function parseDiff(text: string): { files: FileDiff[]; problems: string[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const files: FileDiff[] = [];
  const problems: string[] = [];
  let cur: FileDiff | null = null;
  let inGitHeader = false;
  const open = (oldPath: string | null, newPath: string | null): FileDiff => {
    cur = { oldPath, newPath, isNew: false, isDeleted: false, binary: false, hunks: [] };
    files.push(cur);
    return cur;
  };
  for (let i = 0; i < lines.length;) {
    const l = lines[i];
    const git = /^diff --git (?:"?a\/(.+?)"?) (?:"?b\/(.+?)"?)$/.exec(l);
    if (git) { open(git[1], git[2]); inGitHeader = true; i++; continue; }
    if (l.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ') && i + 2 < lines.length && HUNK.test(lines[i + 2])) {
      const oldPath = diffPath(l.slice(4));
      const newPath = diffPath(lines[i + 1].slice(4));
      const f: FileDiff = inGitHeader && cur ? cur : open(oldPath, newPath);
      f.oldPath = oldPath;
      f.newPath = newPath;
      if (oldPath === null) f.isNew = true;
      if (newPath === null) f.isDeleted = true;
      inGitHeader = false;
      i += 2;
      continue;
    }
    const c = cur as FileDiff | null;
    if (c && inGitHeader) {
      if (/^new file mode /.test(l)) { c.isNew = true; c.oldPath = null; }
      else if (/^deleted file mode /.test(l)) { c.isDeleted = true; c.newPath = null; }
      else if (/^(Binary files .* differ|GIT binary patch)$/.test(l)) c.binary = true;
      else if (/^rename to /.test(l)) c.newPath = l.slice(10);
    }
    if (c && HUNK.test(l) && !inGitHeader) {
      const [hunk, next] = readHunk(lines, i, c.newPath ?? c.oldPath ?? '?', problems);
      c.hunks.push(hunk);
      i = next;
      continue;
    }
    if (c && inGitHeader && HUNK.test(l)) problems.push(`${c.newPath ?? c.oldPath}: hunk without ---/+++ lines`);
    i++;
  }
  return { files, problems };
}

// ---- the door -------------------------------------------------------------------

function readMessage(raw: Buffer, read: MailRead): void {
  const part = splitHeaders(raw);
  const subject = header(part.headers, 'subject');
  const info = parseSubject(subject);
  const encodings: string[] = [];
  const text = decodeEntity(part, encodings);
  read.messages++;
  // a diff quoted in a reply ("> > @@ ...") is the reviewer's context, never a patch
  const quotesDiff = /^(?:> ?)+(?:diff --git|@@ -|\+\+\+ )/m.test(text);
  if (info.isReply) { read.skipped.push({ subject, reason: quotesDiff ? 'reply quoting a diff' : 'reply' }); return; }
  if (info.number === 0) { read.skipped.push({ subject, reason: 'cover letter' }); return; }
  const { files, problems } = parseDiff(text);
  if (!files.length) {
    read.skipped.push({ subject, reason: quotesDiff ? 'reply quoting a diff' : header(part.headers, 'in-reply-to') && !info.isPatch ? 'reply' : 'no diff' });
    return;
  }
  read.patches.push({
    ...info, subject, files, problems,
    from: header(part.headers, 'from'), date: header(part.headers, 'date'), messageId: header(part.headers, 'message-id'),
    encoding: [...new Set(encodings)].join('+') || '7bit',
  });
}

/** lore and b4 hand out gzipped mboxes (t.mbox.gz); more than this unpacked is not a series. */
export const MAX_GUNZIPPED = 64 << 20;

export class MailError extends Error {}

/** The bytes of a mail file, gunzipped when they are gzip. */
export function unpackMail(buf: Buffer): Buffer {
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  try {
    return zlib.gunzipSync(new Uint8Array(buf), { maxOutputLength: MAX_GUNZIPPED });
  } catch (e) {
    throw new MailError(`not a readable gzip file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Numbered patches in series order (as b4 applies them); the input order otherwise. */
export function inSeriesOrder(patches: Patch[]): Patch[] {
  if (!patches.every((p) => p.number !== null)) return patches;
  return patches.map((p, i) => [p, i] as const).sort((a, b) => a[0].number! - b[0].number! || a[1] - b[1]).map(([p]) => p);
}

export function readMail(input: Buffer | string): MailRead {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : unpackMail(input);
  const raw = buf.toString('latin1').replace(/\r\n/g, '\n');
  const read: MailRead = { patches: [], skipped: [], messages: 0 };
  for (const msg of splitMbox(raw)) {
    if (!msg.trim()) continue;
    if (hasHeaderBlock(msg)) { readMessage(Buffer.from(msg, 'latin1'), read); continue; }
    // a plain diff: no headers to decode
    read.messages++;
    const text = Buffer.from(msg, 'latin1').toString('utf8');
    const { files, problems } = parseDiff(text);
    if (files.length) read.patches.push({ ...parseSubject(''), subject: '', from: '', date: '', messageId: '', encoding: 'plain diff', files, problems });
    else read.skipped.push({ subject: '', reason: 'no diff' });
  }
  return read;
}
