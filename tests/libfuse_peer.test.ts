// The peer side without a process: why famfs mode is off (from the INIT
// exchange), plain-mount step expectations, and the server command splitter.
import { createWorld } from '../sim/world';
import { famfsModeReport } from '../sim/peer_init';
import { runScenario } from '../sim/scenario';
import { splitCommand } from '../sim/external_server';

const file = { path: 'f', fmap: { file_size: '0x1000', extents: [{ se_offset: '0x200000', se_len: '0x200000' }] } };

describe('famfs mode report', () => {
  const why = (spec: Parameters<typeof createWorld>[0]) => {
    const w = createWorld({ files: [file], ...spec });
    return famfsModeReport(w.mnt, w.mountResult);
  };

  test('on when the server claims FUSE_DAX_FMAP', () => {
    expect(why({})).toMatchObject({ famfs: true, why: expect.stringMatching(/claimed and offered/) });
  });
  test('a reply without FUSE_INIT_EXT: flags2 ignored', () => {
    expect(why({ init: { no_init_ext: true } })).toMatchObject({ famfs: false, why: expect.stringMatching(/no FUSE_INIT_EXT/) });
  });
  test('a server that never claims it', () => {
    expect(why({ init: { dax_fmap: 'never' } })).toMatchObject({ famfs: false, why: expect.stringMatching(/not claimed/) });
  });
  test('the kernel did not offer it (no CAP_SYS_RAWIO), or has no CONFIG_FUSE_FAMFS_DAX', () => {
    expect(why({ mount: { cap_sys_rawio: false } }).why).toMatch(/did not offer/);
    expect(why({ mount: { config: { CONFIG_FUSE_FAMFS_DAX: false } } }).why).toMatch(/CONFIG_FUSE_FAMFS_DAX/);
  });
  test('INIT failed', () => {
    expect(why({ faults: [{ op: 'INIT', action: 'error', errno: 'EIO' }] })).toMatchObject({ famfs: false, why: expect.stringMatching(/INIT failed/) });
  });
});

describe('plain-mount expectations', () => {
  const steps = [
    { op: 'open', path: 'f', expect: { fd: 3 } },
    { op: 'mmap', fd: 'f', length: 4096, famfs_only: true },
    { op: 'stat', fd: 'f', expect: { famfs: true }, expect_plain: { famfs: false } },
  ];
  test('famfs_only and expect_plain judge the steps of a plain mount', () => {
    const rep = runScenario({ world: { files: [file], init: { dax_fmap: 'never' } }, steps });
    expect(rep.pass).toBe(true);
    expect(rep.steps.map((s) => [s.result.errno ?? null, s.plain ?? false])).toEqual([[null, false], ['EOPNOTSUPP', true], [null, true]]);
  });
  test('in famfs mode they are ignored, and a famfs_only step that succeeds on a plain mount fails', () => {
    expect(runScenario({ world: { files: [file] }, steps }).pass).toBe(true);
    const rep = runScenario({ world: { files: [file], init: { dax_fmap: 'never' } }, steps: [{ op: 'open', path: 'f', famfs_only: true }] });
    expect(rep.pass).toBe(false);
    expect(rep.why).toMatch(/expected to fail without famfs mode/);
  });
});

test('server command words: quotes and backslashes, no expansion', () => {
  expect(splitCommand(`srv -o 'source=/a b' "x\\"y" a\\ b $HOME /dev/fd/3`)).toEqual(['srv', '-o', 'source=/a b', 'x"y', 'a b', '$HOME', '/dev/fd/3']);
  expect(splitCommand(`  a   ''  b `)).toEqual(['a', '', 'b']);
});
