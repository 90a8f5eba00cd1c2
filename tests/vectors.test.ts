import { builtinVectorFiles, loadVectorFile, runVector } from '../checks/vectors';

const files = builtinVectorFiles();

test('there are at least 150 built-in vectors', () => {
  const n = files.reduce((k, f) => k + loadVectorFile(f).length, 0);
  expect(n).toBeGreaterThanOrEqual(150);
});

for (const file of files) {
  describe(file.replace(/.*tests\//, 'tests/'), () => {
    for (const v of loadVectorFile(file)) {
      test(`${v.id} (${v.fn})`, () => {
        const r = runVector(v, file);
        const detail = `${r.status}: ${r.why ?? ''} actual=${JSON.stringify(r.actual)}`;
        expect({ id: v.id, ok: r.status === 'pass' || r.status === 'xfail', detail }).toEqual({ id: v.id, ok: true, detail: expect.any(String) });
      });
    }
  });
}
