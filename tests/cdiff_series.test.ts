// cdiff --series: famfs.c, famfs_kfmap.h and the uapi rebuilt from a series'
// hunks in patch order, read as the list archives deliver mail (7bit,
// base64, quoted-printable with CRLF). The series is built here from our own
// fixture files, so no kernel text is involved.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as libqp from 'libqp';
import { readMail } from '../checks/mail';
import { applyHunk, rebuildSeries, RebuildError, uapiFromAdded, FAMFS_C, FAMFS_KFMAP } from '../checks/rebuild';
import { uapiHeaderFromModel } from '../checks/cdiff_build';

const FIX = path.resolve(__dirname, 'fixtures', 'cdiff');
const final = fs.readFileSync(path.join(FIX, 'famfs.c'), 'utf8');
const base = final.slice(0, final.indexOf('/* ---- resolvers')) + final.slice(final.indexOf('/* ---- end of resolvers ---- */'));
const kfmap = fs.readFileSync(path.resolve(__dirname, '..', 'cdiff', 'famfs_kfmap_model.h'), 'utf8');
const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-cdiff-series-'));
const gcc = spawnSync('gcc', ['--version']).status === 0;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const newFile = (p: string, text: string) => {
  const lines = text.replace(/\n$/, '').split('\n');
  return `diff --git a/${p} b/${p}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/${p}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => '+' + l).join('\n')}\n`;
};

/** A unified diff of one file, by diff(1). */
function changeFile(p: string, before: string, after: string): string {
  const a = path.join(tmp, 'a.txt');
  const b = path.join(tmp, 'b.txt');
  fs.writeFileSync(a, before);
  fs.writeFileSync(b, after);
  const out = spawnSync('diff', ['-u', a, b], { encoding: 'utf8' }).stdout;
  return `diff --git a/${p} b/${p}\nindex 1111111..2222222 100644\n--- a/${p}\n+++ b/${p}\n${out.split('\n').slice(2).join('\n')}`;
}

/** The uapi hunks: our model's structs and limits, the opcodes as members of the existing enum. */
function uapiDiff(): string {
  const keep = uapiHeaderFromModel().split('\n').filter((l) => !/^#(ifndef|endif|include)|^\/\*|_LINUX_FUSE_H|FUSE_GET_(FMAP|DAXDEV) /.test(l) && l.trim());
  return 'diff --git a/include/uapi/linux/fuse.h b/include/uapi/linux/fuse.h\nindex 3333333..4444444 100644\n'
    + '--- a/include/uapi/linux/fuse.h\n+++ b/include/uapi/linux/fuse.h\n'
    + '@@ -660,3 +660,5 @@ enum fuse_opcode {\n \tFUSE_COPY_FILE_RANGE_64 = 53,\n+\tFUSE_GET_FMAP = 54,\n+\tFUSE_GET_DAXDEV = 55, /* famfs */\n \n \t/* CUSE specific operations */\n'
    + `@@ -1300,2 +1302,${keep.length + 2} @@ struct fuse_supp_groups {\n };\n \n${keep.map((l) => '+' + l).join('\n')}\n`;
}

function message(n: number, total: number, title: string, diff: string, cte: '7bit' | 'base64' | 'quoted-printable'): string {
  const body = `${title} for the harness's own test.\n\nSigned-off-by: Test <test@example.org>\n---\n${diff}-- \n2.49.0\n`;
  const encoded = cte === 'base64' ? Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n')
    : cte === 'quoted-printable' ? libqp.wrap(libqp.encode(body), 76) : body;
  const msg = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Test <test@example.org>\nDate: Tue, 24 Mar 2026 00:40:0${n} +0000\n`
    + `Subject: [PATCH V9 ${n}/${total}] ${title}\nMessage-Id: <test-${n}@example.org>\nMIME-Version: 1.0\n`
    + `Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: ${cte}\n\n${encoded}\n`;
  return cte === 'quoted-printable' ? msg.replace(/\n/g, '\r\n') : msg;
}

function series(third = changeFile(FAMFS_C, base, final)): string {
  return [
    message(0, 3, 'famfs: cover letter', '', '7bit').replace(/Signed-off-by[\s\S]*/, 'cover\n'),
    message(1, 3, 'famfs: uapi and the fmap parser', newFile(FAMFS_C, base) + uapiDiff(), '7bit'),
    message(3, 3, 'famfs: the resolvers', third, 'quoted-printable'),
    message(2, 3, 'famfs: in-memory fmap header', newFile(FAMFS_KFMAP, kfmap), 'base64'),
  ].join('\n');
}

describe('rebuilding a series from its hunks', () => {
  test('files the series creates come out as the final tree has them, in patch order', () => {
    const read = readMail(series());
    expect(read.patches).toHaveLength(3);
    const r = rebuildSeries(read.patches);
    expect(r.files.get(FAMFS_C)).toBe(final);
    expect(r.files.get(FAMFS_KFMAP)).toBe(kfmap);
    expect(r.uapi).toContain('struct fuse_famfs_fmap_header {');
    expect(r.uapi).toMatch(/enum cdiff_series_added_members \{\n\tFUSE_GET_FMAP = 54,\n\tFUSE_GET_DAXDEV = 55,\n\};/);
  });

  test('a hunk that does not apply fails with one line naming it', () => {
    const bad = series(changeFile(FAMFS_C, base, final).replace(/^ (\S.*)$/m, ' $1 /* changed */'));
    expect(() => rebuildSeries(readMail(bad).patches)).toThrow(RebuildError);
    expect(() => rebuildSeries(readMail(bad).patches)).toThrow(/^fs\/fuse\/famfs\.c: hunk @@ -\d+,\d+ \+\d+,\d+ @@ of "\[PATCH V9 3\/3\] famfs: the resolvers" does not apply$/);
  });

  test('applyHunk finds a moved hunk once, refuses an ambiguous one', () => {
    const h = { oldStart: 1, oldLines: 1, newStart: 1, newLines: 2, header: '@@ -1 +1,2 @@', context: '', lines: [' b', '+c'] };
    expect(applyHunk(['a', 'b', 'd'], h, () => 'x')).toEqual(['a', 'b', 'c', 'd']);
    expect(() => applyHunk(['b', 'b'], { ...h, oldStart: 5 }, () => 'x')).toThrow('x does not apply (matches 2 places)');
  });

  test('uapi: complete constructs and enum members, no comments or partial blocks', () => {
    const u = uapiFromAdded(['/* famfs', ' * limits */', '#define FUSE_FAMFS_MAX_STRIPS 32', 'struct s {', '\tuint32_t a;', '};', '\tFUSE_GET_FMAP = 54,',
      'static __inline__ int32_t one(void)', '{', '\treturn 1;', '}']);
    expect(u).toBe('#define FUSE_FAMFS_MAX_STRIPS 32\nstruct s {\n\tuint32_t a;\n};\nstatic __inline__ int32_t one(void)\n{\n\treturn 1;\n}\n'
      + 'enum cdiff_series_added_members {\n\tFUSE_GET_FMAP = 54,\n};\n');
  });
});

(gcc && built ? describe : describe.skip)('cdiff --series', () => {
  test('runs the rebuilt revision against the vectors (7bit, base64 and quoted-printable/CRLF mail)', () => {
    const mbox = path.join(tmp, 'v9.mbox');
    fs.writeFileSync(mbox, series());
    const r = spawnSync(process.execPath, [BIN, 'cdiff', '--series', mbox, '--format', 'json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const tail = JSON.parse(r.stdout); // --format json: one document
    expect(tail.cdiff.ran).toBeGreaterThanOrEqual(150);
    expect(tail.cdiff.agreed).toBe(tail.cdiff.ran);
  });

  test('a series whose hunk does not apply exits 2 with one line', () => {
    const mbox = path.join(tmp, 'bad.mbox');
    fs.writeFileSync(mbox, series(changeFile(FAMFS_C, base, final).replace(/^ (\S.*)$/m, ' $1 /* changed */')));
    const r = spawnSync(process.execPath, [BIN, 'cdiff', '--series', mbox], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('does not apply');
  });
});
