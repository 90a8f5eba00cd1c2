// Port-map drift: a revision's famfs.c against the TS twins in kernel/.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { portMapDrift, FAMFS_C_FUNCTIONS } from '../checks/portmap';
import { cDefinitions } from '../checks/cscan';

const fx = (...p: string[]) => fs.readFileSync(path.resolve(__dirname, 'fixtures', ...p), 'utf8');

test('the stub famfs.c with every function has no drift', () => {
  expect(portMapDrift(fx('famfs_synthetic.c'))).toEqual({ untwinned: [], gone: [], changed: [] });
});

test('an added function, a removed one and a changed body are each named', () => {
  const d = portMapDrift(fx('mail', 'famfs_drift.c'), fx('famfs_synthetic.c'));
  expect(d.untwinned).toEqual([{ name: 'famfs_new_helper', lines: '171-174' }]);
  expect(d.gone.map((g) => g.name)).toEqual(['famfs_file_bad']);
  expect(d.gone[0].ts).toMatch(/^kernel\/famfs\.ts:\d+$/);
  expect(d.changed).toEqual([{ name: 'famfs_verify_daxdev', lines: '35-41' }]);
});

test('cDefinitions: prototypes, comments and macro calls are not definitions; whitespace is not a change', () => {
  const src = [
    'static void famfs_a(int x);', '/*', 'famfs_in_comment(void)', '{', '}', ' */', 'DEFINE_FREE(x, void *, if (_T) kfree(_T))',
    'static int', 'famfs_a(int x)', '{', '\treturn x;', '}', '#define FMAP_BUFSIZE \\', '\tPAGE_SIZE',
  ].join('\n');
  expect(cDefinitions(src).map((d) => [d.name, d.kind, d.start, d.end])).toEqual([['famfs_a', 'function', 8, 12], ['FMAP_BUFSIZE', 'define', 13, 14]]);
  const spaced = src.replace('\treturn x;', '\treturn   x; /* same */');
  expect(cDefinitions(spaced)[0].normalized).toBe(cDefinitions(src)[0].normalized);
  expect(FAMFS_C_FUNCTIONS.length).toBe(30);
});

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const fxp = (...p: string[]) => path.resolve(__dirname, 'fixtures', ...p);

(built ? test : test.skip)('portmap --strict exits 1 and names the drift; without --strict it warns', () => {
  const r = run('portmap', '--c-source', fxp('mail', 'famfs_drift.c'), '--strict', '--ported-c', fxp('famfs_synthetic.c'));
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/no TS twin\s+famfs_new_helper\s+famfs\.c:171-174/);
  expect(r.stdout).toMatch(/C function gone\s+famfs_file_bad\s+kernel\/famfs\.ts:\d+/);
  expect(r.stdout).toMatch(/port needs review\s+famfs_verify_daxdev\s+famfs\.c:35-41/);
  const loose = run('portmap', '--c-source', fxp('mail', 'famfs_drift.c'));
  expect([loose.status, loose.stderr]).toEqual([0, `famfs-harness: warning: ${fxp('mail', 'famfs_drift.c')}: 2 port-map drift(s); --strict makes them fail\n`]);
  expect(run('portmap', '--c-source', fxp('famfs_synthetic.c'), '--strict').status).toBe(0);
  const j = run('portmap', '--json', '--c-source', fxp('mail', 'famfs_drift.c'), '--strict');
  expect(JSON.parse(j.stdout.trim().split('\n').pop()!).drift.untwinned).toEqual([{ name: 'famfs_new_helper', lines: '171-174' }]);
  expect(run('portmap', '--ported-c', fxp('famfs_synthetic.c')).status).toBe(2);
});
