import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import * as zlib from 'zlib';
import { readMail, parseSubject, parseDiff, Patch, inSeriesOrder, MailError, MAX_GUNZIPPED } from '../checks/mail';
import { checkAbi } from '../checks/abicheck';
import { analyzeSeries } from '../checks/series';

const fx = (...p: string[]) => fs.readFileSync(path.resolve(__dirname, 'fixtures', ...p));
const example = () => readMail(fx('example-series', 'v2.mbox'));
/** What a consumer sees of a patch: files and hunk bodies, not how it travelled. */
const clean = (p: Patch) => p.files.map((f) => ({ ...f, hunks: f.hunks.map((h) => ({ ...h })) }));

describe('readMail: one reader at the door', () => {
  test('an mbox: cover letter skipped, patches in order with parsed subjects', () => {
    const r = example();
    expect(r.messages).toBe(4);
    expect(r.skipped).toEqual([{ subject: '[PATCH v2 0/3] famfs_fuse: example series for famfs-harness review', reason: 'cover letter' }]);
    expect(r.patches.map((p) => [p.version, p.number, p.total, p.title])).toEqual([
      [2, 1, 3, 'famfs_fuse: document the simple extent'],
      [2, 2, 3, 'famfs_fuse: debug messages for odd interleaved extents'],
      [2, 3, 3, 'famfs_fuse: describe the in-memory extent'],
    ]);
    const famfs = r.patches[1].files[0];
    expect([famfs.oldPath, famfs.newPath, famfs.isNew]).toEqual(['fs/fuse/famfs.c', 'fs/fuse/famfs.c', false]);
    expect(famfs.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.context])).toEqual([
      [261, 6, 261, 9, 'famfs_fuse_meta_alloc(void *fmap_buf, size_t fmap_buf_size, struct famfs_file_me'],
      [372, 6, 375, 9, 'famfs_interleave_fileofs_to_daxofs(struct inode *inode, struct iomap *iomap,'],
    ]);
    // the "-- " signature after the last hunk is not a deletion
    expect(famfs.hunks[1].lines[famfs.hunks[1].lines.length - 1]).toBe(' \t\t\tdd = &fc->dax_devlist->devlist[devidx];');
    expect(famfs.hunks[1].lines.filter((l) => l.startsWith('-'))).toEqual([]);
  });

  test('quoted-printable with encoded CRLF (as Amazon WorkMail sends) decodes to the same patch', () => {
    const r = readMail(fx('mail', 'qp_crlf.eml'));
    expect(r.patches).toHaveLength(1);
    const p = r.patches[0];
    expect(p.encoding).toBe('quoted-printable');
    expect(p.title).toBe('famfs_fuse: debug messages for odd interleaved extents'); // folded Subject
    expect(clean(p)).toEqual(clean(example().patches[1]));
    expect(p.files[0].hunks[0].lines.some((l) => l.includes('\r'))).toBe(false);
  });

  test('base64 with a UTF-8 author and an RFC 2047 From', () => {
    const p = readMail(fx('mail', 'base64.eml')).patches[0];
    expect(p.encoding).toBe('base64');
    expect(p.from).toBe('Zoë Example <reviewer@example.org>');
    expect(clean(p)).toEqual(clean(example().patches[0]));
  });

  test('a git format-patch file saved with CRLF line endings', () => {
    const p = readMail(fx('mail', 'crlf.patch')).patches[0];
    expect(p.number).toBe(3);
    expect(clean(p)).toEqual(clean(example().patches[2]));
  });

  test('multipart: the patch as a base64 attachment, the intro in latin-1 quoted-printable', () => {
    const r = readMail(fx('mail', 'multipart.eml'));
    expect(r.patches).toHaveLength(1);
    expect(r.patches[0].encoding).toBe('quoted-printable+base64');
    expect(clean(r.patches[0])).toEqual(clean(example().patches[2]));
  });

  test('an incomplete mbox with a reply that quotes the diff', () => {
    const r = readMail(fx('mail', 'incomplete.mbox'));
    expect(r.patches.map((p) => p.number)).toEqual([2, 4]);
    expect(r.skipped.map((s) => s.reason)).toEqual(['cover letter', 'reply quoting a diff']);
  });

  test('a reply without "Re:" whose only diff is quoted is not a patch', () => {
    const text = 'From: a@example.org\nSubject: about your patch\nIn-Reply-To: <x@example.org>\n\n> --- a/f.c\n> +++ b/f.c\n> @@ -1 +1 @@\n> -a\n> +b\n\nLooks fine.\n';
    expect(readMail(text).skipped).toEqual([{ subject: 'about your patch', reason: 'reply quoting a diff' }]);
  });

  test('a plain diff without headers, and a text that is no patch', () => {
    const p = readMail(fx('mail', 'plain.diff')).patches[0];
    expect(p.encoding).toBe('plain diff');
    expect(p.files[0].hunks[0].lines.filter((l) => /^[-+]/.test(l))).toEqual(['-\tif (offset > meta->file_size)', '+\tif (offset >= meta->file_size)']);
    expect(readMail('hello\nworld\n')).toEqual({ patches: [], skipped: [{ subject: '', reason: 'no diff' }], messages: 1 });
    expect(readMail('').patches).toEqual([]);
  });

  test('a file created by the patch, and mboxrd ">From " unquoting', () => {
    const text = [
      'From mboxrd@z Thu Jan  1 00:00:00 1970', 'From: a@example.org', 'Subject: [RFC PATCH net-next v4 1/1] add a file', '',
      '>From the top: this line was quoted by the mbox writer.', '---',
      'diff --git a/new.c b/new.c', 'new file mode 100644', 'index 0000000..1111111', '--- /dev/null', '+++ b/new.c', '@@ -0,0 +1,2 @@', '+int a;', '+int b;', '',
    ].join('\n');
    const r = readMail(text);
    const p = r.patches[0];
    expect([p.rfc, p.version, p.number, p.total, p.title]).toEqual([true, 4, 1, 1, 'add a file']);
    expect(p.files[0]).toMatchObject({ oldPath: null, newPath: 'new.c', isNew: true });
    expect(p.files[0].hunks[0].lines).toEqual(['+int a;', '+int b;']);
  });
});

describe('parseSubject and parseDiff', () => {
  test('subject forms', () => {
    expect(parseSubject('[PATCH V9 02/10] famfs_fuse: x')).toMatchObject({ version: 9, number: 2, total: 10, title: 'famfs_fuse: x', isReply: false });
    expect(parseSubject('Re: AW: [PATCH] y')).toMatchObject({ version: 1, number: null, isReply: true, title: 'y' });
    expect(parseSubject('[PATCHv3 5/7] z')).toMatchObject({ version: 3, number: 5, total: 7 });
    expect(parseSubject('no prefix')).toMatchObject({ isPatch: false, version: null });
  });

  test('a hunk that ends before its counts is reported, not silently stretched', () => {
    const { files, problems } = parseDiff('--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\nnot a diff line\n');
    expect(files[0].hunks[0].lines).toEqual([' a', '-b', '+c']);
    expect(problems).toEqual(['x: hunk @@ -1,3 +1,3 @@ ends early (2/3 old, 2/3 new lines)']);
  });
});

describe('bad input never throws', () => {
  // fast-check: any bytes, and any cut or shuffle of real fixtures, read without an exception
  const all = (b: Buffer | string) => { const r = readMail(b); analyzeSeries(r); checkAbi(b); return r; };

  test('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => { all(Buffer.from(a)); }), { numRuns: 300 });
  });

  test('fixtures with lines dropped, duplicated or cut', () => {
    const texts = ['qp_crlf.eml', 'base64.eml', 'multipart.eml', 'incomplete.mbox', 'creates_famfs.mbox'].map((n) => fx('mail', n).toString('latin1').split('\n'));
    fc.assert(fc.property(fc.integer({ min: 0, max: texts.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'cut')), { maxLength: 8 }), (t, edits) => {
      let lines = [...texts[t]];
      for (const [at, op] of edits) {
        const i = at % Math.max(1, lines.length);
        if (op === 'drop') lines.splice(i, 1);
        else if (op === 'dup') lines.splice(i, 0, lines[i] ?? '');
        else lines = lines.slice(0, i);
      }
      all(Buffer.from(lines.join('\n'), 'latin1'));
    }), { numRuns: 300 });
  });

  test('MIME nested past the limit is cut off, not recursed into', () => {
    let body = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
    for (let d = 0; d < 40; d++) body = `Content-Type: multipart/mixed; boundary="b${d}"\n\n--b${d}\n${body}\n--b${d}--\n`;
    const r = readMail(`From: a@example.org\nSubject: [PATCH] deep\n${body}`);
    expect(r.skipped).toEqual([{ subject: '[PATCH] deep', reason: 'no diff' }]);
  });
});

describe('lore/b4 mboxes', () => {

  test('a gzipped mbox (t.mbox.gz) reads as the mbox; a gzip bomb or a cut gzip is a MailError', () => {
    const plain = fx('mail', 'incomplete.mbox');
    const gz = zlib.gzipSync(new Uint8Array(plain));
    expect(readMail(gz).patches.map((p) => p.subject)).toEqual(readMail(plain).patches.map((p) => p.subject));
    expect(() => readMail(gz.subarray(0, 40))).toThrow(MailError);
    const bomb = zlib.gzipSync(new Uint8Array(MAX_GUNZIPPED + 1));
    expect(() => readMail(bomb)).toThrow(/not a readable gzip file/);
  });

  test('patches out of order are put in series order; unnumbered ones keep theirs', () => {
    const msgs = fx('example-series', 'v2.mbox').toString('utf8').split(/(?=^From harness@example )/m);
    const shuffled = [msgs[3], msgs[1], msgs[0], msgs[2]].join('');
    expect(inSeriesOrder(readMail(shuffled).patches).map((p) => p.number)).toEqual([1, 2, 3]);
    const plainDiffs = readMail(fx('mail', 'plain.diff')).patches;
    expect(inSeriesOrder(plainDiffs)).toBe(plainDiffs);
  });
});

test('a reply quoted two levels deep ("> > diff --git"), with or without Re:, is skipped as a reply', () => {
  const reply = (subject: string) => `From: r@example.org\nSubject: ${subject}\nIn-Reply-To: <p@example.org>\n\nOn Monday someone wrote:\n> > diff --git a/f.c b/f.c\n> > --- a/f.c\n> > +++ b/f.c\n> > @@ -1 +1 @@\n> > -a\n> > +b\n>\n> nit: b?\n`;
  expect(readMail(reply('Re: [PATCH v2 1/3] x')).skipped).toEqual([{ subject: 'Re: [PATCH v2 1/3] x', reason: 'reply quoting a diff' }]);
  expect(readMail(reply('[PATCH v2 1/3] x')).skipped).toEqual([{ subject: '[PATCH v2 1/3] x', reason: 'reply quoting a diff' }]);
});
