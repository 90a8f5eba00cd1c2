import { buildPortMap, unannotated, FAMFS_C_FUNCTIONS } from '../sim/conformance/portmap';
import { builtinVectorFiles, loadVectorFile } from '../sim/conformance/vectors';

test('every kernel/famfs.ts function carries its C annotation', () => {
  expect(unannotated()).toEqual([]);
});

test('the port map covers every famfs.c v9 function', () => {
  const rows = buildPortMap(builtinVectorFiles().flatMap((f) => loadVectorFile(f)));
  expect(rows.length).toBe(FAMFS_C_FUNCTIONS.length);
  expect(rows.filter((r) => !r.ts).map((r) => r.c_function)).toEqual([]);
  expect(rows.find((r) => r.c_function === 'famfs_fuse_meta_alloc')!.vectors.length).toBeGreaterThan(40);
});
