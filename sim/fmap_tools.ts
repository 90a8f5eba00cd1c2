// What `fmap decode` and `fmap resolve` do: run a payload through the ported
// parser (with the kernel's page-sized, zeroed reply buffer), or through a whole
// simulated open + iomap_begin with healthy devices, and explain the result.
import { famfs_fuse_meta_alloc, __famfs_meta_free, meta_slot } from '../kernel/famfs';
import { famfs_extent_type, famfs_file_meta } from '../kernel/famfs_kfmap';
import { errnoName } from '../kernel/lib/errno';
import { dmesg_take } from '../kernel/lib/printk';
import { arch } from '../kernel/lib/params';
import { bytesToHex } from '../uapi/fmap_codec';
import { runScenario } from './scenario';
import { DEFAULT_DEVICE } from './world';
import { withDaxStores } from './mmap_store';
import { judgeResolution, OutsideClass } from './fmap_oracle';

export type Rejection = { ok: false; errno: string; code: number; reason: string };

function reason(): string {
  const l = dmesg_take().filter((x) => x.level === 'err' || x.level === 'warn');
  return l.length ? l[l.length - 1].msg : 'rejected';
}

const hx = (v: bigint) => '0x' + v.toString(16);

function describeMeta(m: famfs_file_meta) {
  const interleaved = m.fm_extent_type === famfs_extent_type.INTERLEAVED_EXTENT;
  const extents = interleaved
    ? (m.ie ?? []).flatMap((ie, i) => [`iext ${i}: nstrips ${ie.fie_nstrips} chunk ${hx(ie.fie_chunk_size)} nbytes ${hx(ie.fie_nbytes)}`,
      ...(ie.ie_strips ?? []).map((s, j) => `  strip ${j}: dev ${s.dev_index} offset ${hx(s.ext_offset)} len ${hx(s.ext_len)}`)])
    : (m.se ?? []).map((s, i) => `extent ${i}: dev ${s.dev_index} offset ${hx(s.ext_offset)} len ${hx(s.ext_len)}`);
  return {
    file_type: m.file_type, file_size: m.file_size.toString(), extent_type: interleaved ? 'interleaved' : 'simple',
    nextents: interleaved ? m.fm_niext : m.fm_nextents, dev_bitmap: hx(m.dev_bitmap), extents,
  };
}

export function decodeFmapPayload(payload: Uint8Array): { ok: true; meta: ReturnType<typeof describeMeta> } | Rejection {
  const buf = new Uint8Array(Math.max(payload.length, Number(arch.PAGE_SIZE)));
  buf.set(payload);
  dmesg_take();
  const slot: meta_slot = { value: null };
  const rc = famfs_fuse_meta_alloc(buf, payload.length, slot);
  if (rc < 0) return { ok: false, errno: errnoName(rc), code: rc, reason: reason() };
  const meta = describeMeta(slot.value as famfs_file_meta);
  __famfs_meta_free(slot.value);
  return { ok: true, meta };
}

/** Which extent / strip / stripe / chunk an offset lands in (for the human output). */
function explain(m: famfs_file_meta, off: bigint): string {
  let local = off;
  if (m.fm_extent_type !== famfs_extent_type.INTERLEAVED_EXTENT) {
    for (const [i, s] of (m.se ?? []).entries()) {
      if (local < s.ext_len) return `extent ${i}, ${hx(local)} into it`;
      local -= s.ext_len;
    }
    return 'beyond the extents';
  }
  for (const [i, ie] of (m.ie ?? []).entries()) {
    const size = ie.fie_nbytes < m.file_size ? ie.fie_nbytes : m.file_size;
    if (local < size && ie.fie_chunk_size > 0n) {
      const chunk = local / ie.fie_chunk_size;
      return `iext ${i}, chunk ${chunk}, stripe ${chunk / ie.fie_nstrips}, strip ${chunk % ie.fie_nstrips}, ${hx(local % ie.fie_chunk_size)} into the chunk`;
    }
    local -= size;
  }
  return 'beyond the interleaved extents';
}

/** A resolution; `outside` says why it leaves every extent (and which known flaw explains it). */
export type ResolveResult =
  | { ok: true; offset: string; daxdev: number; addr: string; length: string; hit: string; outside?: { flaw: OutsideClass | null; why: string } }
  | (Rejection & { offset: string; stage: string });

export function resolveFmapPayload(payload: Uint8Array, offset: bigint, length: bigint, dax: string[] = []): ResolveResult {
  const rep = runScenario({
    world: withDaxStores({ devices: [{ name: DEFAULT_DEVICE, size: '0x100000000000' }], files: [{ path: 'f', fmap_hex: bytesToHex(payload) }] }, dax),
    steps: [{ op: 'open', path: '/f', as: 'f' }, { op: 'resolve', path: '/f', offset: offset.toString(), length: length.toString() }],
  });
  const [open, res] = rep.steps.map((s) => s.result);
  const why = reason();
  if (open.errno) return { ok: false, offset: offset.toString(), stage: 'open (GET_FMAP)', errno: String(open.errno), code: Number(open.code), reason: why };
  if (res.oops) return { ok: false, offset: offset.toString(), stage: 'iomap_begin', errno: 'OOPS', code: 0, reason: String(res.detail) };
  if (res.errno) return { ok: false, offset: offset.toString(), stage: 'iomap_begin', errno: String(res.errno), code: Number(res.code), reason: why };
  const ino = rep.world.mnt.lookup('/f');
  const meta = typeof ino === 'number' ? null : ino.fi.famfs_meta;
  const hit = meta ? explain(meta, offset) : '';
  const r: ResolveResult = { ok: true, offset: offset.toString(), daxdev: 0, addr: String(res.addr), length: String(res.length), hit };
  const v = meta ? judgeResolution(meta, offset, BigInt(String(res.addr)), BigInt(String(res.length)), length) : { inside: true as const };
  if (!v.inside) r.outside = { flaw: v.flaw, why: v.why };
  return r;
}
