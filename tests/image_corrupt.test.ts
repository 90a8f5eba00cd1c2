// fsck never calls a damaged image clean (issue 13 items 3 and 4): a crafted
// corruption set, CRCs recomputed where the format has them. Each case -> fsck
// not ok with a problem naming the entry, the field and why; writers refuse
// the image and leave it byte-for-byte unchanged; cat refuses with the reason.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MemoryStore, FileStore } from '../sim/stores';
import type { DaxStore } from '../kernel/lib/dax';
import { mkfs, FamfsWriter } from '../sim/image/writer';
import { FamfsImage } from '../sim/image/image';
import { fsck } from '../sim/image/fsck';
import { checkImage, problemLine, Problem } from '../sim/image/check';
import { zlibCrc32 } from '../sim/image/format';
import { built, run, runRaw, scratch, newImage } from './image_cli_util';

const M = 1n << 20n;
const LOG = 0x200000;
const entryAt = (i: number) => LOG + 48 + 544 * i;
// entry-relative offsets (userspace-spec §1.5, §1.6)
const TYPE = 8, FM_SIZE = 16, FM_FLAGS = 24, FM_MODE = 36, FM_PATH = 40, EXT_TYPE = 120, NEXT = 128, SE = 136, IE_CHUNK = 144, IE_STRIPS = 152, MD_PATH = 28;

function read(s: DaxStore, off: number, len: number): Uint8Array { const b = new Uint8Array(len); s.read(off, b); return b; }
const dvOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Rewrite entry i and recompute its crc. */
function editEntry(s: DaxStore, i: number, fn: (dv: DataView, b: Uint8Array) => void): void {
  const b = read(s, entryAt(i), 544);
  fn(dvOf(b), b);
  dvOf(b).setBigUint64(536, BigInt(zlibCrc32(b.subarray(0, 536))), true);
  s.write(entryAt(i), b);
}
/** Rewrite the log header and recompute its crc (bytes 0..23). */
function editHeader(s: DaxStore, fn: (dv: DataView) => void): void {
  const b = read(s, LOG, 48);
  fn(dvOf(b));
  dvOf(b).setBigUint64(24, BigInt(zlibCrc32(b.subarray(0, 24))), true);
  s.write(LOG, b);
}
/** Rewrite the superblock and recompute its crc (bytes 0..95). */
function editSuper(s: DaxStore, fn: (dv: DataView) => void): void {
  const b = read(s, 0, 200);
  fn(dvOf(b));
  dvOf(b).setBigUint64(96, BigInt(zlibCrc32(b.subarray(0, 96))), true);
  s.write(0, b);
}
const setPath = (b: Uint8Array, off: number, p: Uint8Array | string) => { b.fill(0, off, off + 80); b.set(typeof p === 'string' ? new TextEncoder().encode(p) : p, off); };
const u64 = (dv: DataView, off: number, v: bigint) => dv.setBigUint64(off, v, true);
const u32 = (dv: DataView, off: number, v: number) => dv.setUint32(off, v, true);

/**
 * The base image: 0 mkdir d; 1 file d/a (3 MiB, one simple extent); 2 file b
 * (5 MiB over 2 strips, chunk 2 MiB); 3 mkdir d/e.
 */
function baseImage(s: DaxStore): void {
  mkfs(s, { allowSmall: true, seed: 5 });
  const w = new FamfsWriter(s);
  w.mkdir('d');
  w.creat('d/a', 3n * M);
  w.creat('b', 5n * M, { interleave: { nbuckets: 4, nstrips: 2, chunk_size: 2n * M }, mockStripe: true });
  w.mkdir('d/e');
}

interface Case { name: string; edit: (s: DaxStore) => void; index: number | null; field: RegExp | string; why: RegExp }
const f = (name: string, i: number, edit: (dv: DataView, b: Uint8Array) => void, field: RegExp | string, why: RegExp): Case => ({ name, edit: (s) => editEntry(s, i, edit), index: i, field, why });
const strip0 = (dv: DataView) => dv.getBigUint64(IE_STRIPS + 8, true);

const CASES: Case[] = [
  f("name with '..'", 1, (_, b) => setPath(b, FM_PATH, 'd/../a'), 'fm_relpath', /'\.\.' component/),
  f("name with '.'", 1, (_, b) => setPath(b, FM_PATH, 'd/./a'), 'fm_relpath', /'\.' component/),
  f('absolute name', 2, (_, b) => setPath(b, FM_PATH, '/b'), 'fm_relpath', /absolute/),
  f('empty name', 2, (_, b) => setPath(b, FM_PATH, ''), 'fm_relpath', /empty path/),
  f('empty component', 2, (_, b) => setPath(b, FM_PATH, 'd//b'), 'fm_relpath', /empty component/),
  f('trailing slash', 2, (_, b) => setPath(b, FM_PATH, 'b/'), 'fm_relpath', /empty component/),
  f('control character', 1, (_, b) => setPath(b, FM_PATH, 'd/a\x1b[31m'), 'fm_relpath', /control character 0x1b at byte 3/),
  f('non-UTF-8 name', 1, (_, b) => setPath(b, FM_PATH, new Uint8Array([0x64, 0x2f, 0xff, 0xfe])), 'fm_relpath', /not valid UTF-8/),
  f('name not NUL-terminated', 2, (_, b) => setPath(b, FM_PATH, 'x'.repeat(80)), 'fm_relpath', /not NUL-terminated/),
  f('duplicate file', 2, (_, b) => setPath(b, FM_PATH, 'd/a'), 'fm_relpath', /duplicate: 'd\/a' is already a file \(entry 1\)/),
  f('duplicate directory', 3, (_, b) => setPath(b, MD_PATH, 'd'), 'md_relpath', /duplicate: 'd' is already a dir \(entry 0\)/),
  f('a file under a file', 2, (_, b) => setPath(b, FM_PATH, 'd/a/b'), 'fm_relpath', /under 'd\/a', a file \(entry 1\)/),
  f('a directory under a file', 3, (_, b) => setPath(b, MD_PATH, 'd/a/e'), 'md_relpath', /under 'd\/a', a file/),
  f('parent never logged', 2, (_, b) => setPath(b, FM_PATH, 'nodir/b'), 'fm_relpath', /parent directory 'nodir' is not logged/),
  f('extent beyond the device', 1, (dv) => u64(dv, SE + 8, 254n * M), 'fm_fmap.se[0].se_len', /beyond the 0x10000000-byte image/),
  f('extent offset near 2^64 (no wrap)', 1, (dv) => u64(dv, SE + 8, (1n << 64n) - 2n * M), 'fm_fmap.se[0].se_len', /beyond/),
  f('zero-length extent', 1, (dv) => u64(dv, SE + 16, 0n), 'fm_fmap.se[0].se_len', /zero length/),
  f('unaligned extent offset', 1, (dv) => u64(dv, SE + 8, dv.getBigUint64(SE + 8, true) + 4096n), 'fm_fmap.se[0].se_offset', /not a multiple of the allocation unit/),
  f('unaligned extent length', 1, (dv) => u64(dv, SE + 16, 3n * M), 'fm_fmap.se[0].se_len', /not a multiple of the allocation unit/),
  f('extent on a devindex that does not exist', 1, (dv) => u64(dv, SE, 1n), 'fm_fmap.se[0].se_devindex', /1: no such daxdev/),
  f('strip on a devindex that does not exist', 2, (dv) => u64(dv, IE_STRIPS + 24, 3n), 'fm_fmap.ie[0].ie_strips[1].se_devindex', /no such daxdev/),
  f('extent at offset 0', 1, (dv) => u64(dv, SE + 8, 0n), 'fm_fmap.se[0].se_offset', /inside the superblock and log/),
  f('extent inside the log', 1, (dv) => u64(dv, SE + 8, 4n * M), 'fm_fmap.se[0].se_offset', /inside the superblock and log \[0, 0xa00000\)/),
  f('strip inside the log', 2, (dv) => u64(dv, IE_STRIPS + 8, 2n * M), 'fm_fmap.ie[0].ie_strips[0].se_offset', /inside the superblock and log/),
  f('more extents than an entry holds', 1, (dv) => u32(dv, NEXT, 17), 'fm_fmap.fmap_nextents', /17, an entry holds at most 16/),
  f('no extents', 1, (dv) => u32(dv, NEXT, 0), 'fm_fmap.fmap_nextents', /no extents/),
  f('unknown entry type', 1, (dv) => u32(dv, TYPE, 7), 'famfs_log_entry_type', /7 is not a type famfs plays/),
  f('DELETE entry', 1, (dv) => u32(dv, TYPE, 2), 'famfs_log_entry_type', /DELETE/),
  f('INVALID entry', 1, (dv) => u32(dv, TYPE, 4), 'famfs_log_entry_type', /INVALID/),
  f('unknown extent type', 1, (dv) => u32(dv, EXT_TYPE, 5), 'fm_fmap.fmap_ext_type', /5 is neither SIMPLE/),
  f('interleave: nstrips 0', 2, (dv) => u64(dv, SE, 0n), 'fm_fmap.ie[0].ie_nstrips', /0, must be 1\.\.16/),
  f('interleave: nstrips 17', 2, (dv) => u64(dv, SE, 17n), 'fm_fmap.ie[0].ie_nstrips', /17, must be 1\.\.16/),
  f('interleave: nstrips 2^63', 2, (dv) => u64(dv, SE, 1n << 63n), 'fm_fmap.ie[0].ie_nstrips', /9223372036854775808, must be/),
  f('interleave: chunk 0', 2, (dv) => u64(dv, IE_CHUNK, 0n), 'fm_fmap.ie[0].ie_chunk_size', /power of two/),
  f('interleave: chunk 3 MiB', 2, (dv) => u64(dv, IE_CHUNK, 3n * M), 'fm_fmap.ie[0].ie_chunk_size', /power of two/),
  f('interleave: chunk 1 MiB', 2, (dv) => u64(dv, IE_CHUNK, M), 'fm_fmap.ie[0].ie_chunk_size', /multiple of the allocation unit/),
  f('interleave: chunk 4 GiB (wire u32)', 2, (dv) => u64(dv, IE_CHUNK, 1n << 32n), 'fm_fmap.ie[0].ie_chunk_size', /u32/),
  f('interleave: niext 2', 2, (dv) => u32(dv, NEXT, 2), 'fm_fmap.fmap_niext', /2, an entry holds exactly 1/),
  f('interleave: niext 0', 2, (dv) => u32(dv, NEXT, 0), 'fm_fmap.fmap_niext', /0, an entry holds exactly 1/),
  f('interleave: strips of different lengths', 2, (dv) => u64(dv, IE_STRIPS + 24 + 16, 8n * M), 'fm_fmap.ie[0].ie_strips', /strip lengths differ/),
  f('interleave: strip not a multiple of the chunk', 2, (dv) => { u64(dv, IE_CHUNK, 8n * M); }, 'fm_fmap.ie[0].ie_strips', /not a multiple of the chunk size/),
  f('file size exceeds its extents', 1, (dv) => u64(dv, FM_SIZE, 5n * M), 'fm_size', /5242880 exceeds the extents' 4194304 bytes/),
  f('file size exceeds its strips', 2, (dv) => u64(dv, FM_SIZE, 9n * M), 'fm_size', /exceeds the strips'/),
  f('empty file', 1, (dv) => u64(dv, FM_SIZE, 0n), 'fm_size', /0 \(famfs cannot create an empty file\)/),
  f('directory-mode file', 1, (dv) => u32(dv, FM_MODE, 0o40755), 'fm_mode', /040755 is a directory mode on a file/),
  f('file-type bits in a file mode', 1, (dv) => u32(dv, FM_MODE, 0o100644), 'fm_mode', /beyond the permission bits/),
  f('unknown fm_flags bits', 1, (dv) => u32(dv, FM_FLAGS, 0x10), 'fm_flags', /unknown bits/),
  f('allocation collision (famfs clone)', 2, (dv, b) => { void b; u64(dv, IE_STRIPS + 8, 0xa00000n); }, 'fm_fmap.ie[0].ie_strips[0]', /already allocated to entry 1 \(allocation collision\)/),
  f('ADD_DAXDEV with an index out of order', 3, (dv, b) => { b.fill(0, 16, 536); u32(dv, TYPE, 3); u64(dv, 16, 1n << 30n); u32(dv, 40, 5); }, 'dd_index', /5, the next daxdev index is 1/),
  { name: 'entry seqnum wrong (crc left stale)', edit: (s) => s.write(entryAt(1), new Uint8Array([9])), index: 1, field: 'famfs_log_entry_seqnum', why: /seqnum 9 != index 1/ },
  { name: 'entry crc wrong', edit: (s) => s.write(entryAt(1) + 60, new Uint8Array([0x41])), index: 1, field: 'famfs_log_entry_crc', why: /entry crc/ },
  { name: 'next_seqnum 0', edit: (s) => s.write(LOG + 32, new Uint8Array(8)), index: null, field: 'famfs_log_next_seqnum', why: /0, but next_index is 4/ },
  { name: 'next_index past the last slot', edit: (s) => s.write(LOG + 40, new Uint8Array([0x40, 0x3c])), index: null, field: 'famfs_log_next_index', why: /past the last slot 15419/ },
  { name: 'last_index 200000 (header crc fixed)', edit: (s) => editHeader(s, (dv) => u64(dv, 16, 200000n)), index: null, field: 'famfs_log_last_index', why: /200000, a 8388608-byte log ends at slot 15419/ },
  { name: 'log length disagrees with the superblock', edit: (s) => editHeader(s, (dv) => u64(dv, 8, 16n * M)), index: null, field: 'famfs_log_len', why: /ts_log_len is 8388608/ },
  { name: 'ts_log_len 4096 (superblock crc fixed)', edit: (s) => editSuper(s, (dv) => u64(dv, 24, 4096n)), index: null, field: 'ts_log_len', why: /4096 is not a power of two of at least 8 MiB/ },
  { name: 'ts_log_len 16 MiB, header says 8 MiB', edit: (s) => editSuper(s, (dv) => u64(dv, 24, 16n * M)), index: null, field: 'famfs_log_len', why: /the superblock's ts_log_len is 16777216/ },
  { name: 'log offset moved', edit: (s) => editSuper(s, (dv) => u64(dv, 16, 4n * M)), index: null, field: 'ts_log_offset', why: /famfs keeps the log at 0x200000/ },
  { name: 'alloc unit 1 MiB', edit: (s) => editSuper(s, (dv) => u64(dv, 32, M)), index: null, field: 'ts_alloc_unit', why: /not 4096 or 2 MiB/ },
  { name: 'dd_size larger than the image', edit: (s) => s.write(112 + 4, new Uint8Array([1])), index: null, field: 'dd_size', why: /the image file is 268435456 bytes/ },
];

const sha = (s: MemoryStore) => crypto.createHash('sha256').update(read(s, 0, 24 << 20)).digest('hex'); // superblock, log and the files' data
const matches = (p: Problem, c: Case) => p.index === c.index && (typeof c.field === 'string' ? p.field === c.field : c.field.test(p.field)) && c.why.test(p.why);

describe('crafted corruptions: fsck not ok, one problem naming entry, field and why', () => {
  const base = new MemoryStore(256n * M);
  baseImage(base);
  test('the base image is clean', () => expect(fsck(new FamfsImage(base))).toMatchObject({ ok: true, errors: 0, files: 2, directories: 2 }));
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const s = new MemoryStore(256n * M);
    baseImage(s);
    c.edit(s);
    const r = fsck(new FamfsImage(s));
    expect(r.ok).toBe(false);
    expect(r.problems.filter((p) => matches(p, c)).map(problemLine)).toHaveLength(1);
    for (const p of r.problems) expect(problemLine(p)).not.toMatch(/\n/);
    // the writer refuses, before writing anything
    const before = sha(s);
    expect(() => new FamfsWriter(s).mkdir('new')).toThrow(/^refusing to write: /);
    expect(() => new FamfsWriter(s).creat('new', M)).toThrow(/^refusing to write: /);
    expect(sha(s)).toBe(before);
  });
  test(`${CASES.length} cases`, () => expect(CASES.length).toBeGreaterThanOrEqual(55));
});

test('an image file shorter than its data', () => {
  const dir = scratch('famfs-short-');
  const p = path.join(dir, 'img');
  const s = new FileStore(p, { create: true, size: 256n * M });
  baseImage(s);
  s.close();
  fs.truncateSync(p, 0xa00000 + 2 * 1024 * 1024); // the log survives, d/a's 4 MiB extent does not
  const r = checkImage(new FamfsImage(new FileStore(p)));
  expect(r.problems.map(problemLine)).toEqual(expect.arrayContaining([
    expect.stringMatching(/^image: dd_size: the superblock records a 268435456-byte device, the image file is 12582912 bytes$/),
    expect.stringMatching(/^entry 1: fm_fmap\.se\[0\]\.se_len: the extent ends at 0xe00000, beyond the 0xc00000-byte image$/),
  ]));
  fs.rmSync(dir, { recursive: true, force: true });
});

const d = built ? describe : describe.skip;

d('the CLI on damaged images (child processes)', () => {
  const dir = scratch('famfs-damaged-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const damaged = (name: string, edit: (s: DaxStore) => void) => {
    const img = newImage(dir, name);
    expect(run('image', 'mkdir', img, 'd').status).toBe(0);
    fs.writeFileSync(path.join(dir, 'src'), 'hello famfs\n');
    expect(run('image', 'cp', img, path.join(dir, 'src'), 'd/a').status).toBe(0);
    expect(run('image', 'creat', img, 'b', '-s', '5M', '-N', '2', '-B', '4', '-C', '2M', '--mock-stripe', '--seed', '3').status).toBe(0);
    const s = new FileStore(img);
    edit(s);
    s.close();
    return img;
  };
  const fileSha = (img: string) => crypto.createHash('sha256').update(new Uint8Array(fs.readFileSync(img))).digest('hex');

  test.each([
    ['last_index 200000', (s: DaxStore) => editHeader(s, (dv) => u64(dv, 16, 200000n)), /famfs_log_last_index: 200000/],
    ['ts_log_len 4096', (s: DaxStore) => editSuper(s, (dv) => u64(dv, 24, 4096n)), /ts_log_len: 4096/],
    ['next_seqnum 0', (s: DaxStore) => s.write(LOG + 32, new Uint8Array(8)), /famfs_log_next_seqnum: 0, but next_index is 3/],
    ['nstrips 2^63', (s: DaxStore) => editEntry(s, 2, (dv) => u64(dv, SE, 1n << 63n)), /entry 2: fm_fmap\.ie\[0\]\.ie_nstrips: 9223372036854775808/],
  ])('%s: mkdir, creat and cp refuse (exit 1, one line), the image is unchanged; cat and fsck say why', (_n, edit, why) => {
    const img = damaged(`${_n.replace(/\W/g, '_')}.img`, edit);
    const before = fileSha(img);
    for (const args of [['mkdir', img, 'x'], ['creat', img, 'x', '-s', '1M'], ['cp', img, path.join(dir, 'src'), 'x']]) {
      const r = run('image', ...args);
      expect({ args: args[0], status: r.status }).toEqual({ args: args[0], status: 1 });
      expect(r.stderr).toMatch(new RegExp(`^famfs-harness: inconsistent: refusing to write: .*${why.source}.*\\n$`));
    }
    expect(fileSha(img)).toBe(before);
    const cat = run('image', 'cat', img, 'd/a');
    expect(cat.status).toBe(1);
    expect(cat.stderr).toMatch(new RegExp(`^famfs-harness: .*${why.source}[^\\n]*\\n$`));
    const fsck = run('image', 'fsck', img);
    expect(fsck.status).toBe(1);
    expect(fsck.stdout).toMatch(why);
    expect(fsck.stderr).toBe('');
  });

  test('ls escapes control characters in names; fsck prints one escaped line per problem', () => {
    const img = damaged('ctl.img', (s) => editEntry(s, 1, (_, b) => setPath(b, FM_PATH, 'd/a\x1b[2J\x07')));
    const ls = runRaw('image', 'ls', img);
    expect(ls.status).toBe(1);
    const text = ls.stdout.toString('latin1');
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain('d/a\\x1b[2J\\x07');
    expect(ls.stderr.toString()).toMatch(/^famfs-harness: entry 1: fm_relpath: control character 0x1b at byte 3/);
    const fsck = runRaw('image', 'fsck', img);
    expect(fsck.stdout.toString('latin1')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(fsck.stdout.toString()).toMatch(/^entry 1: fm_relpath: control character 0x1b at byte 3$/m);
  });
});
