// series (completeness, touched functions) and abi --check (uapi only) on our own fixtures.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readMail, Hunk } from '../checks/mail';
import { analyzeSeries, completeness, ranges, touchedFunctions } from '../checks/series';
import { checkAbi, evalCInt } from '../checks/abicheck';

const fx = (...p: string[]) => path.resolve(__dirname, 'fixtures', ...p);
const series = (...p: string[]) => analyzeSeries(readMail(fs.readFileSync(fx(...p))));
const hunk = (context: string, lines: string[]): Hunk => ({ oldStart: 1, oldLines: 0, newStart: 1, newLines: 0, header: '@@', context, lines });

describe('series', () => {
  test('completeness of an incomplete series, in ranges', () => {
    const r = series('mail', 'incomplete.mbox');
    expect(r.completeness).toMatchObject({ total: 10, present: [2, 4], missing: [1, 3, 5, 6, 7, 8, 9, 10], complete: false });
    expect(r.completeness.line).toBe('patches 2,4 of 10 present; missing 1,3,5-10');
    expect(series('example-series', 'v2.mbox').completeness.line).toBe('patches 1-3 of 3 present; complete');
    expect(ranges([1, 2, 3, 5, 7, 8])).toBe('1-3,5,7-8');
  });

  test('duplicates, mixed revisions and unnumbered patches are said', () => {
    const ex = readMail(fs.readFileSync(fx('example-series', 'v2.mbox'))).patches;
    const c = completeness([ex[0], { ...ex[0], version: 3 }, ex[1], ex[2], { ...ex[2], number: null, total: null }]);
    expect(c.complete).toBe(false);
    expect(c.line).toBe('patches 1-3 of 3 present; complete; 1 unnumbered patch; patch 1 given more than once; mixed revisions v2, v3');
  });

  test('touched functions: defined or changed, not merely called', () => {
    const r = series('example-series', 'v2.mbox');
    // patch 2 calls famfs_check_ext_alignment and famfs_dax_err in changed/context lines: not touched
    expect(r.patches[1].hunks.map((h) => h.functions)).toEqual([['famfs_fuse_meta_alloc'], ['famfs_interleave_fileofs_to_daxofs']]);
    expect(r.touched).toEqual(['famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs']);
    expect(r.patches[2].hunks[0].functions).toEqual([]); // a comment above a struct in famfs_kfmap.h
  });

  test('a hunk that adds a function after another one ends', () => {
    const h = hunk('int famfs_a(struct inode *inode)', [
      ' \treturn famfs_b(inode);', ' }', ' ', '+static int', '+famfs_c(void *p)', '+{', '+\treturn famfs_a(p) + famfs_b(p);', '+}',
      ' ', ' static const struct vm_operations_struct famfs_vm_ops = {', '-\t.fault = famfs_a,', '+\t.fault = famfs_c,', ' };',
    ]);
    expect(touchedFunctions(h)).toEqual(['famfs_c', 'famfs_vm_ops']);
  });

  test('prototypes and macro invocations open no function; a removed function is touched', () => {
    const h = hunk('extern void helper(void);', [
      '+int famfs_proto(struct fuse_mount *fm,', '+\t\tvoid *buf);', '+DEFINE_FREE(famfs_free, void *, if (_T) kfree(_T))',
      '-static void famfs_gone(void)', '-{', '-}', ' #define FMAP_BUFSIZE PAGE_SIZE', '-#define FMAP_BUFSIZE 4096',
    ]);
    expect(touchedFunctions(h)).toEqual(['famfs_gone', 'FMAP_BUFSIZE']);
  });

  test('in a file the series creates, positions decide, even when git\'s context is a column-0 label', () => {
    const create = ['diff --git a/fs/fuse/x.c b/fs/fuse/x.c', 'new file mode 100644', '--- /dev/null', '+++ b/fs/fuse/x.c', '@@ -0,0 +1,11 @@',
      '+static int famfs_first(int a)', '+{', '+\treturn a;', '+}', '+', '+int famfs_second(int a)', '+{', '+\tif (a)', '+\t\tgoto out;', '+out:', '+}'];
    const change = ['diff --git a/fs/fuse/x.c b/fs/fuse/x.c', '--- a/fs/fuse/x.c', '+++ b/fs/fuse/x.c', '@@ -9,3 +9,4 @@ out:', ' \t\tgoto out;', ' out:', '+\treturn 0;', ' }'];
    const mbox = [['1/2', create], ['2/2', change]].map(([n, d]) => `From x@example Thu Jan  1 00:00:00 1970\nFrom: a@example.org\nSubject: [PATCH ${n}] x\n\n---\n${(d as string[]).join('\n')}\n`).join('');
    const r = analyzeSeries(readMail(mbox));
    expect(r.patches.map((p) => p.hunks.map((h) => h.functions))).toEqual([[['famfs_first', 'famfs_second']], [['famfs_second']]]);
    // the same hunk alone (no file to place it in) has only git's context, a label: no function is claimed
    expect(analyzeSeries(readMail(mbox.slice(mbox.lastIndexOf('From x@example')))).patches[0].hunks[0].functions).toEqual([]);
  });

  test('the real shape of a new-file hunk: every function it adds', () => {
    const lines = ['+#include "x.h"', '+', '+void __famfs_x(void *p)', '+{', '+\tkfree(p);', '+}', '+', '+static int', '+famfs_y(', '+\tvoid *buf)', '+{', '+\treturn __famfs_x(buf), 0;', '+}'];
    expect(touchedFunctions(hunk('', lines))).toEqual(['__famfs_x', 'famfs_y']);
  });
});

describe('abi --check reads uapi only', () => {
  test('our example series: its uapi hunk matches the model; kernel-internal files are not read', () => {
    const r = checkAbi(fs.readFileSync(fx('example-series', 'v2.mbox')));
    expect(r.mode).toBe('patch');
    expect(r.compared).toEqual(['struct fuse_famfs_simple_ext']);
    expect(r.ignored).toEqual(['fs/fuse/famfs.c', 'fs/fuse/famfs_kfmap.h']);
    expect(r.diffs).toEqual([]);
  });

  test('the same uapi hunk in base64 and in QP is read the same', () => {
    const b = checkAbi(fs.readFileSync(fx('mail', 'base64.eml')));
    expect(b.compared).toEqual(['struct fuse_famfs_simple_ext']);
    expect(b.diffs).toEqual([]);
  });

  test('a patch that touches only famfs_kfmap.h has no uapi definitions, even with famfs-looking names', () => {
    const r = checkAbi(fs.readFileSync(fx('mail', 'kfmap_only.patch')));
    expect([r.famfs, r.compared, r.ignored]).toEqual([0, [], ['fs/fuse/famfs_kfmap.h']]);
  });

  test('a whole header: positional enums, C-written values, and what it lacks', () => {
    const r = checkAbi(fs.readFileSync(fx('mail', 'fuse_header_partial.h')));
    expect(r.mode).toBe('header');
    expect(r.compared).toContain('enum fuse_famfs_file_type');
    expect(r.diffs.map((d) => [d.kind, d.what])).toEqual([
      ['definition_missing', 'FUSE_GET_DAXDEV'], ['definition_missing', 'DAXDEV_NAME_MAX'],
      ['definition_missing', 'struct fuse_get_daxdev_in'], ['definition_missing', 'struct fuse_daxdev_out'],
    ]);
    const moved = fs.readFileSync(fx('mail', 'fuse_header_partial.h'), 'utf8')
      .replace('(1ULL << 43)', '(1ULL << 44)').replace('FUSE_FAMFS_FILE_REG,\n\tFUSE_FAMFS_FILE_SUPERBLOCK,', 'FUSE_FAMFS_FILE_SUPERBLOCK,\n\tFUSE_FAMFS_FILE_REG,')
      .replace('uint32_t nextents;', 'uint64_t nextents;');
    const d = checkAbi(moved).diffs.filter((x) => x.kind !== 'definition_missing').map((x) => `${x.what}: ${x.detail}`);
    expect(d).toEqual([
      'FUSE_DAX_FMAP: model 1ULL << 43, found 1ULL << 44',
      'FUSE_FAMFS_FILE_SUPERBLOCK: model 1, found 0 (by position) in enum fuse_famfs_file_type',
      'FUSE_FAMFS_FILE_REG: model 0, found 1 (by position) in enum fuse_famfs_file_type',
      'struct fuse_famfs_fmap_header.nextents: model u32 (4 bytes), found u64 (8 bytes)',
      'struct fuse_famfs_fmap_header.reserved0: model offset 0xc, found 0x10',
      'struct fuse_famfs_fmap_header.file_size: model offset 0x10, found 0x18',
      'struct fuse_famfs_fmap_header.reserved1: model offset 0x18, found 0x20',
      'struct fuse_famfs_fmap_header: model sizeof 32 (0x20), found 40 (0x28)',
    ]);
  });

  test('a header without famfs definitions gives nothing to gate on', () => {
    const r = checkAbi(fs.readFileSync(fx('mail', 'fuse_header_nofamfs.h')));
    expect(r.famfs).toBe(0);
    expect(r.compared).toEqual(['FUSE_KERNEL_MINOR_VERSION', 'FUSE_ASYNC_READ', 'FUSE_REQUEST_TIMEOUT']);
    expect(checkAbi('').famfs).toBe(0);
  });

  test('a whole kernel-internal header is not uapi; a new famfs struct in a fuse.h hunk is drift', () => {
    const internal = '#ifndef FAMFS_KFMAP_H\n#define FAMFS_KFMAP_H\nstruct famfs_meta_simple_ext {\n\tu64 dev_index;\n\tu64 ext_len;\n};\nstruct famfs_daxdev {\n\tbool valid;\n};\n#endif\n';
    expect(checkAbi(internal).famfs).toBe(0);
    const added = '--- a/include/uapi/linux/fuse.h\n+++ b/include/uapi/linux/fuse.h\n@@ -10,0 +11,4 @@\n+struct fuse_famfs_new_thing {\n+\tuint32_t a;\n+\tuint32_t b;\n+};\n';
    const r = checkAbi(added);
    expect([r.famfs, r.diffs.map((d) => [d.kind, d.what])]).toEqual([1, [['struct_new', 'struct fuse_famfs_new_thing']]]);
  });

  test('C integer expressions', () => {
    expect(evalCInt('(1ULL << 43)')).toBe(1n << 43n);
    expect(evalCInt(' ( 1 << 0 ) ')).toBe(1n);
    expect(evalCInt('0x8000')).toBe(32768n);
    expect(evalCInt('32768UL')).toBe(32768n);
    expect(evalCInt('FOO + 1')).toBeNull();
  });
});

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

(built ? describe : describe.skip)('series and abi --check through the CLI', () => {
  test('exit codes: drift 1, clean 0, nothing to compare 2 (one line)', () => {
    expect(run('abi', '--check', fx('example-series', 'v2.mbox')).status).toBe(0);
    expect(run('abi', '--check', fx('mail', 'fuse_header_partial.h')).status).toBe(1);
    for (const f of [fx('mail', 'kfmap_only.patch'), fx('mail', 'fuse_header_nofamfs.h')]) {
      const r = run('abi', '--check', f);
      expect({ f, status: r.status, stderr: r.stderr }).toEqual({ f, status: 2, stderr: expect.stringMatching(/^famfs-harness: no famfs uapi definitions in \S+[^\n]*\n$/) });
    }
    // a device is refused before it is read (the bounded reader takes regular files only)
    const r = run('abi', '--check', '/dev/null');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: 'famfs-harness: patch /dev/null: a character device, expected a regular file\n' });
  });

  test('series warns about missing patches and keeps the JSON shape', () => {
    const r = run('series', fx('mail', 'incomplete.mbox'), '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`famfs-harness: warning: ${fx('mail', 'incomplete.mbox')}: patches 2,4 of 10 present; missing 1,3,5-10\n`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.number ?? 'summary')).toEqual([2, 4, 'summary']);
    expect(lines[2].skipped.map((s: { reason: string }) => s.reason)).toEqual(['cover letter', 'reply quoting a diff']);
    expect(lines[2].recheck.map((x: { c_function: string }) => x.c_function)).toEqual(['famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs']);
    expect(run('series', fx('mail', 'fuse_header_nofamfs.h')).status).toBe(2);
  });
});
