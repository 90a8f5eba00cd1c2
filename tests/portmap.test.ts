import * as fs from 'fs';
import * as path from 'path';
import { buildPortMap, unannotated, FAMFS_C_FUNCTIONS, cLineRanges } from '../checks/portmap';
import { builtinVectorFiles, loadVectorFile } from '../checks/vectors';

test('every kernel/famfs.ts function carries its C annotation', () => {
  expect(unannotated()).toEqual([]);
});

test('the port map covers every famfs.c v9 function', () => {
  const rows = buildPortMap(builtinVectorFiles().flatMap((f) => loadVectorFile(f)));
  expect(rows.length).toBe(FAMFS_C_FUNCTIONS.length);
  expect(rows.filter((r) => !r.ts).map((r) => r.c_function)).toEqual([]);
  expect(rows.find((r) => r.c_function === 'famfs_fuse_meta_alloc')!.vectors.length).toBeGreaterThan(40);
});

test('C line ranges from a famfs.c (synthetic fixture: prototypes and comments are not definitions)', () => {
  const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, 'fixtures', n), 'utf8');
  const want = JSON.parse(fx('famfs_synthetic.lines.json'));
  expect(Object.fromEntries(cLineRanges(fx('famfs_synthetic.c')))).toEqual(want);
  const rows = buildPortMap([], fx('famfs_synthetic.c'));
  expect(rows.every((r) => r.c_lines !== null)).toBe(true);
});
