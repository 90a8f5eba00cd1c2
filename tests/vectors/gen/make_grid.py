#!/usr/bin/env python3
"""Generate tests/vectors/resolve_grid.json: interleaved and simple resolution at
many offsets. The expectations come from the reference formula stated in
shared/spec/review-history.md (B-1 property) and kernel-spec §3.9, written here
independently of the TypeScript port:
  walk extents with S_i = min(nbytes_i, file_size) (simple: ext_len_i);
  chunk = X/C, off = X%C, stripe = chunk/N, strip = chunk%N,
  addr = strip_offset[strip] + stripe*C + off, length = min(len, C - off).
Run: python3 tests/vectors/gen/make_grid.py > tests/vectors/resolve_grid.json
"""
import json, random

M = 1 << 20
rng = random.Random(20261124)

def ref_interleave(iexts, file_size, x, ln):
    local = x
    for ie in iexts:
        s = min(ie["nbytes"], file_size)
        if local < s:
            c, n = ie["chunk"], len(ie["strips"])
            chunk, off = divmod(local, c)
            stripe, strip = divmod(chunk, n)
            return ie["strips"][strip] + stripe * c + off, min(ln, c - off)
        local -= s
    return None

def ref_simple(exts, x, ln):
    local = x
    for off, l in exts:
        if local < l:
            return off + local, min(ln, l - local)
        local -= l
    return None

cases = []
geoms = [(1, 2), (2, 2), (3, 2), (4, 2), (4, 4), (8, 2), (5, 6), (16, 2), (32, 2)]
for gi, (n, cmb) in enumerate(geoms):
    c = cmb * M
    stripes = rng.randint(1, 4)
    per_strip = stripes * c
    base = 0x40000000
    niext = 2 if gi % 3 == 1 else 1
    iexts = []
    for k in range(niext):
        strips = [base + (k * n + j) * 0x10000000 for j in range(n)]
        iexts.append({"chunk": c, "nbytes": n * per_strip, "strips": strips})
    file_size = sum(ie["nbytes"] for ie in iexts) - (M if gi % 2 else 0)
    for t in range(5):
        x = rng.randrange(0, file_size // 4096) * 4096
        ln = rng.choice([4096, 2 * M, 8 * M])
        addr, length = ref_interleave(iexts, file_size, x, ln)
        cases.append({
            "id": f"grid_ilv_n{n}_c{cmb}m_{niext}iext_{t}",
            "fn": "famfs_interleave_fileofs_to_daxofs",
            "input": {"fmap": {"ext_type": "interleave", "file_size": hex(file_size), "iexts": [
                {"ie_chunk_size": hex(ie["chunk"]), "ie_nbytes": hex(ie["nbytes"]),
                 "strips": [{"se_offset": hex(s), "se_len": hex(per_strip)} for s in ie["strips"]]} for ie in iexts]},
                "offset": hex(x), "length": hex(ln)},
            "expect": {"addr": hex(addr), "length": hex(length)},
            "source": "reference formula (review-history B-1 property), tests/vectors/gen/make_grid.py",
        })
for t in range(10):
    nexts = rng.randint(1, 6)
    exts = [(rng.randrange(1, 512) * 2 * M, rng.randint(1, 4) * 2 * M) for _ in range(nexts)]
    total = sum(l for _, l in exts)
    x = rng.randrange(0, total // 4096) * 4096
    ln = rng.choice([4096, 2 * M, 16 * M])
    addr, length = ref_simple(exts, x, ln)
    cases.append({
        "id": f"grid_simple_{nexts}ext_{t}",
        "fn": "famfs_fileofs_to_daxofs",
        "input": {"fmap": {"file_size": hex(total), "extents": [{"se_offset": hex(o), "se_len": hex(l)} for o, l in exts]},
                  "offset": hex(x), "length": hex(ln)},
        "expect": {"addr": hex(addr), "length": hex(length)},
        "source": "reference formula (kernel-spec §3.9 simple walk), tests/vectors/gen/make_grid.py",
    })
print(json.dumps(cases, indent=1))
