// The resolvers' fast form (kernel/famfs_fast.ts) against the port of the C
// (famfs_fileofs_to_daxofs, all bigint): bit for bit on random fmaps, including
// values near 2^52 / 2^53 and u64 wrap-around; the fallback is taken outside the
// form; and the built-in vectors reach both fast paths.
import fc from 'fast-check';
import { createWorld } from '../sim/world';
import { famfs_fileofs_to_daxofs, famfs_fuse_iomap_begin } from '../kernel/famfs';
import { FAMFS_FAST_DECLINED, FAST_LIMIT, famfs_fast_fileofs_to_daxofs, famfs_fast_form_build, famfs_fast_stats } from '../kernel/famfs_fast';
import { iomap, iomap_zero } from '../kernel/lib/iomap';
import { dmesg_take } from '../kernel/lib/printk';
import { setArch, X86_64 } from '../kernel/lib/params';
import type { inode } from '../kernel/fuse_i';
import type { FmapSpec } from '../uapi/fmap_codec';
import { builtinVectorFiles, loadVectorFile, runVector } from '../checks/vectors';

const PMD = 0x200000n;
const hex = (n: bigint): string => `0x${n.toString(16)}`;

function open(spec: FmapSpec): inode | null {
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x10000000000' }], files: [{ path: 'f', fmap: spec }] });
  const fd = w.mnt.open('/f');
  dmesg_take();
  return fd < 0 ? null : w.mnt.file(fd)!.f_inode;
}

const show = (rc: number, m: iomap, ino: inode) => ({ rc, addr: m.addr, offset: m.offset, length: m.length, type: m.type, flags: m.flags, dev: m.dax_dev?.name ?? null, error: ino.fi.famfs_meta!.error });

/** famfs_fuse_iomap_begin (fast form or fallback) and the bigint port, each on its own fresh inode. */
function both(spec: FmapSpec, off: bigint, len: bigint) {
  const a = open(spec);
  const b = open(spec);
  if (!a || !b) return null;
  const ma = iomap_zero();
  const mb = iomap_zero();
  const ra = famfs_fuse_iomap_begin(a, off, len, 0x100, ma, null);
  const la = dmesg_take();
  const rb = famfs_fileofs_to_daxofs(b, mb, off, len, 0x100);
  const lb = dmesg_take();
  return { fast: { ...show(ra, ma, a), log: la }, port: { ...show(rb, mb, b), log: lb } };
}

// Values that matter: small, around 2^52 and 2^53, and near 2^64 (wrap).
const u64edge = fc.oneof(
  { arbitrary: fc.bigInt(0n, 64n).map((k) => k * PMD), weight: 12 },
  fc.bigInt(-8n, 8n).map((k) => BigInt.asUintN(64, (1n << 52n) + k * PMD)),
  fc.bigInt(-8n, 8n).map((k) => BigInt.asUintN(64, (1n << 53n) + k * PMD)),
  fc.bigInt(1n, 8n).map((k) => (1n << 64n) - k * PMD),
  fc.bigInt(0n, (1n << 64n) / PMD - 1n).map((k) => k * PMD),
);
const lenEdge = fc.oneof({ arbitrary: fc.bigInt(1n, 8n).map((k) => k * PMD), weight: 8 }, fc.bigInt(4096n, 1n << 20n).map((k) => k * PMD), fc.bigInt(0n, 4n).map((k) => (1n << 53n) - k * PMD), fc.constant((1n << 63n) - PMD));
const simpleSpec = fc.array(fc.record({ off: u64edge, len: fc.oneof(lenEdge, fc.constant(0n)) }), { minLength: 1, maxLength: 6 }).map((ex): FmapSpec => {
  const total = ex.reduce((s, e) => s + e.len, 0n);
  const size = BigInt.asUintN(64, total) === 0n ? PMD : BigInt.asUintN(64, total) > (1n << 62n) ? 1n << 62n : BigInt.asUintN(64, total);
  return { file_size: hex(size), extents: ex.map((e) => ({ se_offset: hex(e.off), se_len: hex(e.len) })) };
});
const ilvSpec = fc.array(fc.record({ chunk: fc.constantFrom(PMD, 2n * PMD, 3n * PMD), nstrips: fc.integer({ min: 1, max: 5 }), per: fc.oneof(fc.bigInt(1n, 4n).map((k) => k * 2n * PMD), fc.constant(1n << 50n)), base: u64edge }), { minLength: 1, maxLength: 3 }).map((ies): FmapSpec => {
  const total = ies.reduce((s, ie) => s + ie.per * BigInt(ie.nstrips), 0n);
  return {
    ext_type: 'interleave', file_size: hex(total),
    iexts: ies.map((ie) => ({ ie_chunk_size: hex(ie.chunk), ie_nbytes: hex(ie.per * BigInt(ie.nstrips)), strips: Array.from({ length: ie.nstrips }, (_, j) => ({ se_offset: hex(BigInt.asUintN(64, ie.base + BigInt(j) * ie.per) & ~(PMD - 1n)), se_len: hex(ie.per) })) })),
  };
});
/** File offsets where extents (or interleaved extents) start and end: off-by-one country. */
function boundaries(spec: FmapSpec): bigint[] {
  const lens = spec.extents ? spec.extents.map((e) => BigInt(e.se_len)) : (spec.iexts ?? []).map((ie) => BigInt(ie.ie_nbytes));
  const out = [0n];
  for (const l of lens) out.push(out[out.length - 1] + l);
  return out;
}
const offsetFor = (spec: FmapSpec) => fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...boundaries(spec)), fc.constantFrom(-4096n, -1n, 0n, 1n, 4096n)).map(([b, d]) => b + d), weight: 3 },
  { arbitrary: fc.bigInt(0n, BigInt(spec.file_size) + 2n * PMD), weight: 4 },
  fc.bigInt(0n, 8n).map((k) => BigInt(spec.file_size) - k * 4096n - 1n),
  fc.constantFrom((1n << 52n) - 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 63n) - 1n, (1n << 64n) - 1n, -1n, -(1n << 63n)),
).filter((o) => o >= -(1n << 63n));
const lengthArb = fc.oneof({ arbitrary: fc.bigInt(1n, 1n << 22n), weight: 4 }, fc.constantFrom(0n, -1n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n));

describe('fast form equals the bigint port', () => {
  afterEach(() => setArch(X86_64));
  for (const [name, arb] of [['simple', simpleSpec], ['interleaved', ilvSpec]] as const) {
    test(`${name} fmaps, offsets and lengths near 2^52, 2^53 and 2^64`, () => {
      const before = { ...famfs_fast_stats };
      let compared = 0;
      fc.assert(fc.property(arb.chain((spec) => fc.tuple(fc.constant(spec), offsetFor(spec), lengthArb)), ([spec, off, len]) => {
        const r = both(spec, off, len);
        if (!r) return;
        compared++;
        expect(r.fast).toEqual(r.port);
      }), { numRuns: 400, seed: 14 });
      // not vacuous: most fmaps open, and both the fast form and the fallback decided cases
      expect(compared).toBeGreaterThan(200);
      expect(famfs_fast_stats[name] - before[name]).toBeGreaterThan(50);
      if (name === 'simple') expect(famfs_fast_stats.simple_searched - before.simple_searched).toBeGreaterThan(10);
      expect(famfs_fast_stats.declined + famfs_fast_stats.no_form - before.declined - before.no_form).toBeGreaterThan(50);
    });
  }
});

test('interleaved: power-of-two and other chunk sizes and strip counts (multiply/shift vs divide) agree with the port', () => {
  let compared = 0;
  const before = famfs_fast_stats.interleaved;
  const chunks = [PMD, 2n * PMD, 3n * PMD, 6n * PMD, 1n << 31n, (1n << 31n) - PMD];
  for (const chunk of chunks) {
    for (const nstrips of [1, 2, 3, 4, 5, 8]) {
      const per = 4n * chunk;
      const spec: FmapSpec = {
        ext_type: 'interleave', file_size: hex(per * BigInt(nstrips) + per),
        iexts: [per * BigInt(nstrips), per].map((nbytes, k) => {
          const n = k ? 1 : nstrips;
          return { ie_chunk_size: hex(chunk), ie_nbytes: hex(nbytes), strips: Array.from({ length: n }, (_, j) => ({ se_offset: hex(per * BigInt(k * 8 + j + 1)), se_len: hex(nbytes / BigInt(n)) })) };
        }),
      };
      const size = BigInt(spec.file_size);
      // the form took the multiply / shift exactly where the size / count is a power of two
      const ino = open(spec)!;
      const form = famfs_fast_form_build(ino.fi.famfs_meta!)!;
      const pow2 = (x: bigint) => (x & (x - 1n)) === 0n;
      expect(form.iexts.map((ie) => [ie.per_chunk !== 0, ie.strip_shift >= 0])).toEqual([[pow2(chunk), pow2(BigInt(nstrips))], [pow2(chunk), true]]);
      for (const off of [0n, 4096n, chunk - 1n, chunk, chunk + 12345n, 3n * chunk + 7n, size - per - 1n, size - per, size - 1n]) {
        const r = both(spec, off, 3n * PMD);
        expect(r).not.toBeNull();
        expect(r!.fast).toEqual(r!.port);
        compared++;
      }
    }
  }
  expect(compared).toBe(chunks.length * 6 * 9);
  expect(famfs_fast_stats.interleaved - before).toBe(compared); // every one resolved on the fast form
});

test('a chunk size just past 2^52 is not taken for a power of two (Math.log2 rounds there)', () => {
  // Only reachable with a small PMD_SIZE (as vectors set it) and a meta edited
  // after the parse: ie_chunk_size is a u32 on the wire.
  setArch({ PMD_SIZE: 2n });
  try {
    const C = (1n << 52n) + 2n;
    const spec: FmapSpec = { ext_type: 'interleave', file_size: '0x1000', iexts: [{ ie_chunk_size: '0x1000', ie_nbytes: '0x1000', strips: [{ se_offset: '0x0', se_len: '0x1000' }] }] };
    const inos = [open(spec)!, open(spec)!];
    for (const ino of inos) {
      const m = ino.fi.famfs_meta!;
      m.file_size = C; ino.i_size = C; m.ie![0].fie_chunk_size = C; m.ie![0].fie_nbytes = C; m.ie![0].ie_strips![0].ext_len = C; m.fast = undefined;
    }
    const before = famfs_fast_stats.interleaved;
    const ma = iomap_zero();
    const mb = iomap_zero();
    const ra = famfs_fuse_iomap_begin(inos[0], 1n << 52n, 4096n, 0, ma, null);
    const rb = famfs_fileofs_to_daxofs(inos[1], mb, 1n << 52n, 4096n, 0);
    expect(famfs_fast_stats.interleaved - before).toBe(1); // decided on the fast form
    expect(inos[0].fi.famfs_meta!.fast!.iexts[0].per_chunk).toBe(0);
    expect([ra, ma.addr, ma.length]).toEqual([rb, mb.addr, mb.length]);
    expect(ma.length).toBe(2n); // chunk_size - (2^52 mod C) = 2, not the 4096 asked for
    dmesg_take();
  } finally {
    setArch(X86_64);
  }
});

describe('the fallback runs outside the fast form', () => {
  afterEach(() => setArch(X86_64));
  const small: FmapSpec = { file_size: '0x400000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }] };
  test('a form exists for small fmaps and resolves without the port', () => {
    const ino = open(small)!;
    const map = iomap_zero();
    expect(famfs_fast_fileofs_to_daxofs(ino, ino.fi.famfs_meta!, map, 0x1000n, 0x1000n, 0)).toBe(0);
    expect(map).toMatchObject({ addr: 0x201000n, length: 0x1000n });
  });
  test('no form when a value reaches 2^53 (the port resolves it, exactly)', () => {
    const big: FmapSpec = { file_size: '0x400000', extents: [{ se_offset: hex((1n << 53n) - PMD), se_len: '0x400000' }] };
    const ino = open(big)!;
    expect(famfs_fast_form_build(ino.fi.famfs_meta!)).toBeNull();
    const map = iomap_zero();
    expect(famfs_fast_fileofs_to_daxofs(ino, ino.fi.famfs_meta!, map, 0x200001n, 0x1000n, 0)).toBe(FAMFS_FAST_DECLINED);
    expect(map).toEqual(iomap_zero());
    expect(famfs_fuse_iomap_begin(ino, 0x200001n, 0x1000n, 0, map, null)).toBe(0);
    expect(map.addr).toBe((1n << 53n) + 1n); // not a double
    expect(FAST_LIMIT).toBe(2 ** 53); // the first integer a double cannot tell from its successor
  });
  test('bigints past 64 bits that wrap onto an in-range u64 decline, and the port decides them', () => {
    const ino = open(small)!;
    const meta = ino.fi.famfs_meta!;
    const cases: [bigint, bigint][] = [[(1n << 64n) + 0x1000n, 0x1000n], [0x1000n - (1n << 64n), 0x1000n], [0x1000n, (1n << 64n) + 0x1000n], [0x1000n, 0x1000n - (1n << 64n)], [(1n << 70n) + 0x1000n, 0x1000n]];
    for (const [off, len] of cases) {
      const map = iomap_zero();
      expect(famfs_fast_fileofs_to_daxofs(ino, meta, map, off, len, 0)).toBe(FAMFS_FAST_DECLINED);
      expect(map).toEqual(iomap_zero());
    }
    for (const [off, len] of cases) {
      const r = both(small, off, len)!;
      expect(r.fast).toEqual(r.port);
    }
  });
  test('an interleaved form declines once PMD_SIZE changed (the port re-checks the chunk sizes: -EINVAL)', () => {
    const ino = open({ ext_type: 'interleave', file_size: '0x800000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x800000', strips: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x800000', se_len: '0x400000' }] }] })!;
    const map = iomap_zero();
    expect(famfs_fast_fileofs_to_daxofs(ino, ino.fi.famfs_meta!, map, 0x200000n, 0x1000n, 0)).toBe(0);
    expect(map.addr).toBe(0x800000n);
    setArch({ PMD_SIZE: 4n * PMD });
    expect(famfs_fast_fileofs_to_daxofs(ino, ino.fi.famfs_meta!, iomap_zero(), 0x200000n, 0x1000n, 0)).toBe(FAMFS_FAST_DECLINED);
    expect(famfs_fuse_iomap_begin(ino, 0x200000n, 0x1000n, 0, iomap_zero(), null)).toBe(-22);
    setArch(X86_64);
    dmesg_take();
  });
  test('no form for chunk size 0 (B-16 still oopses in the port)', () => {
    const ino = open({ ext_type: 'interleave', file_size: '0x400000', iexts: [{ ie_chunk_size: '0', ie_nbytes: '0x400000', strips: [{ se_offset: '0x200000', se_len: '0x400000' }] }] })!;
    expect(famfs_fast_form_build(ino.fi.famfs_meta!)).toBeNull();
    expect(() => famfs_fuse_iomap_begin(ino, 0n, 0x1000n, 0, iomap_zero(), null)).toThrow(/divide_error/);
  });
  test('per call: offsets or lengths out of range, a bad file, a failed device, a changed PMD_SIZE decline', () => {
    const ino = open(small)!;
    const meta = ino.fi.famfs_meta!;
    const fast = (off: bigint, len = 0x1000n) => famfs_fast_fileofs_to_daxofs(ino, meta, iomap_zero(), off, len, 0);
    expect(fast(0n)).toBe(0);
    expect(fast(-1n)).toBe(FAMFS_FAST_DECLINED);
    expect(fast(1n << 53n)).toBe(FAMFS_FAST_DECLINED);
    expect(fast(0x400000n)).toBe(FAMFS_FAST_DECLINED); // past the extents: the port's err_out
    expect(fast(0n, -1n)).toBe(FAMFS_FAST_DECLINED);
    expect(fast(0n, 1n << 63n)).toBe(FAMFS_FAST_DECLINED);
    setArch({ PMD_SIZE: 4n * PMD });
    expect(fast(0n)).toBe(0); // simple extents do not depend on PMD_SIZE
    setArch(X86_64);
    ino.fc.dax_devlist!.devlist![0].error = true;
    expect(fast(0n)).toBe(FAMFS_FAST_DECLINED);
    expect(famfs_fuse_iomap_begin(ino, 0n, 0x1000n, 0, iomap_zero(), null)).toBe(-133); // -EHWPOISON from the port
    ino.fc.dax_devlist!.devlist![0].error = false;
    expect(meta.error).toBe(true); // the port marked the file bad
    expect(fast(0n)).toBe(FAMFS_FAST_DECLINED);
    dmesg_take();
  });
});

test('the built-in resolve vectors reach both fast paths and the fallback', () => {
  for (const k of Object.keys(famfs_fast_stats) as (keyof typeof famfs_fast_stats)[]) famfs_fast_stats[k] = 0;
  for (const file of builtinVectorFiles().filter((f) => /resolve/.test(f))) {
    for (const v of loadVectorFile(file)) expect(['pass', 'xfail']).toContain(runVector(v, file).status);
  }
  expect(famfs_fast_stats.simple).toBeGreaterThan(0);
  expect(famfs_fast_stats.simple_searched).toBeGreaterThan(0); // a file past MAX_TABLE granules
  expect(famfs_fast_stats.interleaved).toBeGreaterThan(0);
  expect(famfs_fast_stats.declined).toBeGreaterThan(0);
  expect(famfs_fast_stats.no_form).toBeGreaterThan(0);
});
