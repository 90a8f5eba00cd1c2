// What the kernel puts on the wire for OPEN, READ and WRITE, checked field by
// field against fs/fuse/file.c (fuse_send_open, fuse_send_read, fuse_send_write).
import { createWorld, World } from '../sim/world';
import { hexToBytes } from '../uapi/fmap_codec';
import { fuse_in_header } from '../uapi/fuse';

const O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000;

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
    const w = createWorld({ files: [plainFile] });
    w.mnt.close(w.mnt.open('/f', O_RDWR | O_NOCTTY | O_CREAT | O_EXCL | O_TRUNC));
    expect(requestBodies(w, 'OPEN').map((b) => b.getUint32(0, true))).toEqual([O_RDWR | O_TRUNC]);
  });

  test('without FUSE_ATOMIC_O_TRUNC in the INIT reply, O_TRUNC is stripped too', () => {
    // INIT reply 7.45 with only FUSE_INIT_EXT (no FUSE_ATOMIC_O_TRUNC)
    const hex = '5000000000000000' + '0000000000000000' + '070000002d000000000002000000004000000000000010000100000000000000' + '00'.repeat(32);
    const w = createWorld({ files: [plainFile], faults: [{ op: 'INIT', action: 'frame', hex, unique: true }] });
    w.mnt.close(w.mnt.open('/f', O_RDWR | O_TRUNC));
    expect(requestBodies(w, 'OPEN').map((b) => b.getUint32(0, true))).toEqual([O_RDWR]);
  });
});
