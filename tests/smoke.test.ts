import { createWorld } from '../sim/world';
import { slab } from '../kernel/lib/slab';

test('smoke: open, read, write, fault through the channel', () => {
  slab.reset();
  const w = createWorld({
    files: [{ path: 'a', fmap: { file_size: '0x500000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x1000000', se_len: '0x200000' }] } }],
  });
  expect(w.mountResult).toBe(0);
  expect(w.mnt.famfsMode).toBe(true);
  const fd = w.mnt.open('/a');
  expect(fd).toBeGreaterThan(0);
  const data = new Uint8Array(8192).fill(7);
  expect(w.mnt.pwrite(fd, data, 0x3ff000n)).toBe(8192);
  const back = new Uint8Array(8192);
  expect(w.mnt.pread(fd, back, 0x3ff000n)).toBe(8192);
  expect(back).toEqual(data);
  const dev = w.machine.device('/dev/dax0.0')!;
  const raw = new Uint8Array(4096);
  dev.store.read(0x1000000, raw);
  expect(raw[0]).toBe(7);
  const m = w.mnt.mmap(fd, 0n, 0x500000n);
  expect(m).toBeGreaterThan(0);
  const f = w.mnt.fault(m, 0n, false);
  expect(f).toMatchObject({ ok: true, addr: 0x200000n, len: 0x200000n });
  w.mnt.umount();
  expect(slab.leaks()).toEqual([]);
  expect(w.mnt.channel.count('GET_DAXDEV')).toBe(1);
});
