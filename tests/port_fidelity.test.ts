// What the kernel puts on the wire for OPEN, READ and WRITE, checked field by
// field against fs/fuse/file.c (fuse_send_open, fuse_send_read, fuse_send_write).
import { createWorld, World } from '../sim/world';
import { hexToBytes } from '../uapi/fmap_codec';
import { fuse_in_header } from '../uapi/fuse';
import { fuse_lock_owner_id } from '../kernel/file';
import { fuse_conn } from '../kernel/fuse_i';

const O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000;
const FUSE_LOCKOWNER = 1 << 1; // FUSE_READ_LOCKOWNER == FUSE_WRITE_LOCKOWNER

const plainFile = { path: 'f', fmap: { file_size: '0x400000', extents: [{ se_devindex: 0, se_offset: '0x200000', se_len: '0x400000' }] } };

/** The bodies (after fuse_in_header) of every request of one opcode. */
function requestBodies(w: World, op: string): DataView[] {
  return w.mnt.channel.log.filter((e) => e.dir === 'request' && e.op === op).map((e) => {
    const b = hexToBytes(e.hex, op).subarray(fuse_in_header.size);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  });
}

describe('fuse_send_open: inarg.flags = open_flags & ~(O_CREAT | O_EXCL | O_NOCTTY)', () => {
  test('O_NOCTTY, O_CREAT and O_EXCL never reach the server; O_TRUNC does with atomic_o_trunc', () => {
    const w = createWorld({ trace: true, files: [plainFile] });
    w.mnt.close(w.mnt.open('/f', O_RDWR | O_NOCTTY | O_CREAT | O_EXCL | O_TRUNC));
    expect(requestBodies(w, 'OPEN').map((b) => b.getUint32(0, true))).toEqual([O_RDWR | O_TRUNC]);
  });

  test('without FUSE_ATOMIC_O_TRUNC in the INIT reply, O_TRUNC is stripped too', () => {
    // INIT reply 7.45 with only FUSE_INIT_EXT (no FUSE_ATOMIC_O_TRUNC)
    const hex = '5000000000000000' + '0000000000000000' + '070000002d000000000002000000004000000000000010000100000000000000' + '00'.repeat(32);
    const w = createWorld({ trace: true, files: [plainFile], faults: [{ op: 'INIT', action: 'frame', hex, unique: true }] });
    w.mnt.close(w.mnt.open('/f', O_RDWR | O_TRUNC));
    expect(requestBodies(w, 'OPEN').map((b) => b.getUint32(0, true))).toEqual([O_RDWR]);
  });
});
describe('fuse_direct_io: every READ and WRITE carries the lock owner (owner = current->files)', () => {
  const w = createWorld({ trace: true, files: [plainFile], init: { dax_fmap: 'never' } });
  const fd = w.mnt.open('/f', O_RDWR);
  w.mnt.pread(fd, new Uint8Array(4096), 0n);
  w.mnt.pwrite(fd, new Uint8Array(4096), 0n);
  const reads = requestBodies(w, 'READ');
  const writes = requestBodies(w, 'WRITE');

  test('READ: read_flags has FUSE_READ_LOCKOWNER and lock_owner is set', () => {
    expect(reads.length).toBe(1);
    expect(reads[0].getUint32(20, true) & FUSE_LOCKOWNER).toBe(FUSE_LOCKOWNER);
    expect(reads[0].getBigUint64(24, true)).not.toBe(0n);
  });

  test('WRITE: write_flags has FUSE_WRITE_LOCKOWNER, the same lock_owner as the READ', () => {
    expect(writes.length).toBe(1);
    expect(writes[0].getUint32(20, true) & FUSE_LOCKOWNER).toBe(FUSE_LOCKOWNER);
    expect(writes[0].getBigUint64(24, true)).toBe(reads[0].getBigUint64(24, true));
  });
});

describe('fuse_lock_owner_id: the XTEA of file.c', () => {
  // expected values from the C function compiled with gcc (kept outside the repo)
  const withKey = (key: number[]) => ({ scramble_key: Uint32Array.from(key) }) as unknown as fuse_conn;
  test.each([
    [[0, 0, 0, 0], 0n, 0xf7131ed9dee9d4d8n],
    [[0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210], 0xffff888012345678n, 0xc0dd213a19d191a5n],
    [[0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210], 1n, 0x3de73befda6e3aefn],
  ])('key %j, owner %s', (key, id, expected) => {
    expect(fuse_lock_owner_id(withKey(key), id)).toBe(expected);
  });
});
