// The message trace: off unless asked for, bounded when on; request counts and
// opcode names never depend on it.
import { createWorld } from '../sim/world';
import { TraceLog, TraceEntry } from '../sim/trace';
import { fuse_opcode, fuse_opcode_name } from '../uapi/fuse';

const file = { path: 'f', fmap: { file_size: '0x200000', extents: [{ se_offset: '0x200000', se_len: '0x200000' }] } };

test('opcode names come from the static table', () => {
  expect(fuse_opcode_name(fuse_opcode.FUSE_GET_FMAP)).toBe('GET_FMAP');
  expect(fuse_opcode_name(fuse_opcode.FUSE_LOOKUP)).toBe('LOOKUP');
  expect(fuse_opcode_name(fuse_opcode.CUSE_INIT)).toBe('CUSE_INIT');
  expect(fuse_opcode_name(9999)).toBe('OP9999');
});

test('trace is off by default; requests are still counted', () => {
  const w = createWorld({ files: [file] });
  expect(w.mnt.open('/f')).toBeGreaterThan(0);
  expect(w.mnt.channel.trace).toBeNull();
  expect(w.mnt.channel.log).toEqual([]);
  expect(w.mnt.channel.requestCounts()).toEqual({ INIT: 1, LOOKUP: 1, OPEN: 1, GET_FMAP: 1, GET_DAXDEV: 1 });
  expect(w.mnt.channel.count()).toBe(5);
});

test('a world with trace: true records every request and reply in order', () => {
  const w = createWorld({ files: [file], trace: true });
  w.mnt.open('/f');
  const log = w.mnt.channel.log;
  expect(log.map((e) => `${e.dir} ${e.op}`)).toEqual([
    'request INIT', 'reply INIT', 'request LOOKUP', 'reply LOOKUP', 'request OPEN', 'reply OPEN',
    'request GET_FMAP', 'reply GET_FMAP', 'request GET_DAXDEV', 'reply GET_DAXDEV',
  ]);
  expect(log[7].summary).toContain('nextents=1');
});

test('a bounded trace keeps the newest frames and counts the dropped ones', () => {
  const w = createWorld({ files: [file], trace: 4 });
  w.mnt.open('/f');
  expect(w.mnt.channel.log.map((e) => `${e.dir} ${e.op}`)).toEqual(['request GET_FMAP', 'reply GET_FMAP', 'request GET_DAXDEV', 'reply GET_DAXDEV']);
  expect(w.mnt.channel.trace!.dropped).toBe(6);
});

test('TraceLog ring order and limits', () => {
  const t = new TraceLog(3);
  const e = (n: number): TraceEntry => ({ dir: 'request', unique: String(n), op: 'LOOKUP', len: 0, summary: '', hex: '' });
  for (let i = 1; i <= 7; i++) t.add(e(i));
  expect(t.entries().map((x) => x.unique)).toEqual(['5', '6', '7']);
  expect(t.dropped).toBe(4);
  expect(() => new TraceLog(0)).toThrow(RangeError);
});
