// A short fuzz campaign (make fuzz runs the long one): mutated GET_FMAP payloads
// through the parser and the resolvers, random replies through the channel.
import fc from 'fast-check';
import { famfs_fuse_meta_alloc, __famfs_meta_free, meta_slot } from '../kernel/famfs';
import { slab } from '../kernel/lib/slab';
import { ERRNO } from '../kernel/lib/errno';
import { encodeFmap } from '../uapi/fmap_codec';
import { createWorld } from '../sim/world';
import { fuzzPayload, fuzzImage } from '../bench/fuzzlib';

const ERRNOS = new Set(Object.values(ERRNO).map((v) => -v));

test('parser: any payload -> 0 or a kernel errno, nothing leaked', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 700 }), (bytes, size) => {
    slab.reset();
    const buf = new Uint8Array(4096);
    buf.set(bytes.subarray(0, 4096));
    const slot: meta_slot = { value: null };
    const rc = famfs_fuse_meta_alloc(buf, Math.min(size, bytes.length), slot);
    __famfs_meta_free(slot.value);
    return (rc === 0 || ERRNOS.has(rc)) && slab.liveCount() === 0;
  }), { numRuns: 3000 });
});

test('mutated valid fmaps through open + resolve never crash the harness', () => {
  const base = encodeFmap({ ext_type: 'interleave', file_size: '0x800000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x800000', strips: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x800000', se_len: '0x400000' }] }] });
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => fuzzPayload(base, seed).ok), { numRuns: 300 });
});

test('random reply sizes through the channel: open fails cleanly or works', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (reply) => {
    slab.reset();
    const w = createWorld({ files: [{ path: 'f', fmap_hex: Buffer.from(reply).toString('hex') }] });
    const fd = w.mnt.open('/f');
    const ok = fd >= 0 || ERRNOS.has(fd);
    w.mnt.umount();
    return ok && slab.liveCount() === 0;
  }), { numRuns: 200 });
});

test('random corruption of famfs images: an error report, never a crash', () => {
  let clean = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const o = fuzzImage(seed);
    expect({ seed, ok: o.ok, why: o.why ?? null }).toEqual({ seed, ok: true, why: null });
    if (o.clean) clean++;
  }
  expect(clean).toBeLessThan(150); // corruption was noticed at least sometimes
});

test('random reply frames (headers included) to GET_FMAP: a kernel errno or success, never a hang or crash', () => {
  const fmap = { file_size: '0x200000', extents: [{ se_offset: '0x200000', se_len: '0x200000' }] };
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), fc.integer({ min: 0, max: 200 }), (frame, patchUnique, len) => {
    slab.reset();
    const f = new Uint8Array(frame);
    if (f.length >= 4 && len % 2) new DataView(f.buffer).setUint32(0, f.length, true); // a consistent len half of the time
    const w = createWorld({ files: [{ path: 'f', fmap }], faults: [{ op: 'GET_FMAP', action: 'frame', hex: Buffer.from(f).toString('hex'), unique: patchUnique }] });
    const fd = w.mnt.open('/f');
    const ok = fd >= 0 || ERRNOS.has(fd);
    w.mnt.umount();
    return ok && slab.liveCount() === 0;
  }), { numRuns: 300 });
});
