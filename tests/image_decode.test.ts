// Fixed-offset decoding of log entries (issue 14 item 4) agrees field by field
// with the declarative struct layouts (uapi/layout over sim/image/format.ts).
import { MemoryStore } from '../sim/stores';
import { mkfs, FamfsWriter } from '../sim/image/writer';
import { decodeEntry, FamfsImage, validateEntry, LogEntry } from '../sim/image/image';
import { decodeStruct, cstring } from '../uapi/layout';
import {
  famfs_log_entry, famfs_log_file_meta, famfs_log_fmap, famfs_log_mkdir, famfs_simple_extent, famfs_interleaved_ext, famfs_log_add_daxdev,
  LOG_ENTRY_SIZE, FMAP_EXT_OFFSET, IE_STRIPS_OFFSET, zlibCrc32,
} from '../sim/image/format';

const M = 1n << 20n;

/** The reference: the generic struct decoder over the layouts. */
function viaLayouts(raw: Uint8Array, index: number): LogEntry {
  const h = decodeStruct(famfs_log_entry, raw, 0);
  const body = raw.subarray(16, 536);
  const ext = (off: number) => { const e = decodeStruct(famfs_simple_extent, body, off); return { devindex: e.se_devindex, offset: e.se_offset, len: e.se_len }; };
  if (h.famfs_log_entry_type === 0) {
    const fm = decodeStruct(famfs_log_file_meta, body, 0);
    const fmap = decodeStruct(famfs_log_fmap, body, 104);
    const arr = 104 + FMAP_EXT_OFFSET;
    const base = { type: 'file' as const, index, relpath: cstring(fm.fm_relpath), size: fm.fm_size, flags: fm.fm_flags, uid: fm.fm_uid, gid: fm.fm_gid, mode: fm.fm_mode, ext_type: fmap.fmap_ext_type, nextents: fmap.fmap_nextents };
    if (fmap.fmap_ext_type === 1) {
      const ie = decodeStruct(famfs_interleaved_ext, body, arr);
      return { ...base, extents: [], interleave: { nstrips: ie.ie_nstrips, chunk_size: ie.ie_chunk_size, strips: Array.from({ length: Math.min(16, Number(ie.ie_nstrips)) }, (_, j) => ext(arr + IE_STRIPS_OFFSET + 24 * j)) } };
    }
    return { ...base, extents: Array.from({ length: Math.min(16, fmap.fmap_nextents) }, (_, j) => ext(arr + 24 * j)), interleave: null };
  }
  if (h.famfs_log_entry_type === 1) {
    const m = decodeStruct(famfs_log_mkdir, body, 0);
    return { type: 'mkdir', index, relpath: cstring(m.md_relpath), uid: m.md_uid, gid: m.md_gid, mode: m.md_mode };
  }
  if (h.famfs_log_entry_type === 3) {
    const dd = decodeStruct(famfs_log_add_daxdev, body, 0);
    return { type: 'add_daxdev', index, size: dd.dd_size, dd_index: dd.dd_index };
  }
  return { type: h.famfs_log_entry_type === 2 ? 'delete' : h.famfs_log_entry_type === 4 ? 'invalid' : 'unknown', index, code: h.famfs_log_entry_type };
}

const strip = (e: LogEntry) => { const { path_bytes: _p, ...rest } = e as LogEntry & { path_bytes?: Uint8Array }; return rest; };

test('every entry of a mixed log decodes the same by fixed offsets and by the layouts', () => {
  const s = new MemoryStore(1n << 30n);
  mkfs(s, { allowSmall: true, seed: 9 });
  const w = new FamfsWriter(s);
  w.mkdir('dir/sub', { parents: true, mode: 0o700 });
  w.mkdir('dir/ünï', { mode: 0o711 });
  for (let i = 0; i < 20; i++) {
    w.creat(`dir/sub/f${i}`, BigInt(1 + i * 1234567), i % 3 ? { mode: 0o600 + i } : { interleave: { nbuckets: 8, nstrips: 1 + (i % 8), chunk_size: 2n * M }, mockStripe: true, allocSeed: i });
  }
  const img = new FamfsImage(s);
  const { entries, bad } = img.readLog();
  expect(bad).toEqual([]);
  const all = img.entryBytes(entries.length);
  expect(entries.filter((e) => e.type === 'file' && e.interleave)).not.toHaveLength(0);
  for (const e of entries) {
    const raw = all.slice(e.index * LOG_ENTRY_SIZE, (e.index + 1) * LOG_ENTRY_SIZE);
    expect(strip(e)).toEqual(viaLayouts(raw, e.index));
    expect(strip(decodeEntry(raw, e.index))).toEqual(viaLayouts(raw, e.index));
  }
});

test('hand-made entries: ADD_DAXDEV, unknown types, 16 extents, over-long counts', () => {
  const mk = (fill: (dv: DataView, b: Uint8Array) => void, index = 3) => {
    const b = new Uint8Array(LOG_ENTRY_SIZE);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(index), true);
    for (let i = 16; i < 536; i++) b[i] = (i * 37) & 0xff; // every byte of the body non-zero-ish
    fill(dv, b);
    dv.setBigUint64(536, BigInt(zlibCrc32(b.subarray(0, 536))), true);
    return b;
  };
  const cases = [
    mk((dv) => dv.setUint32(8, 3, true)),
    mk((dv) => dv.setUint32(8, 2, true)),
    mk((dv) => dv.setUint32(8, 99, true)),
    mk((dv, b) => { dv.setUint32(8, 0, true); b[40] = 0x61; b[41] = 0; dv.setUint32(120, 0, true); dv.setUint32(128, 16, true); }),
    mk((dv, b) => { dv.setUint32(8, 0, true); b[40] = 0x61; b[41] = 0; dv.setUint32(120, 0, true); dv.setUint32(128, 0xffffffff, true); }),
    mk((dv, b) => { dv.setUint32(8, 0, true); b[40] = 0x62; b[41] = 0; dv.setUint32(120, 1, true); dv.setUint32(128, 1, true); dv.setBigUint64(136, 1n << 63n, true); }),
    mk((dv, b) => { dv.setUint32(8, 1, true); b.fill(0x7a, 28, 108); }),
  ];
  for (const raw of cases) {
    const e = validateEntry(raw, 3);
    expect('why' in e).toBe(false);
    expect(strip(e as LogEntry)).toEqual(viaLayouts(raw, 3));
  }
  expect(validateEntry(cases[0], 4)).toMatchObject({ index: 4, field: 'famfs_log_entry_seqnum' });
  const flipped = cases[0].slice();
  flipped[100] ^= 1;
  expect(validateEntry(flipped, 3)).toMatchObject({ index: 3, field: 'famfs_log_entry_crc' });
});
