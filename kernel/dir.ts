// fs/fuse/dir.c: LOOKUP and GETATTR as the famfs paths need them.
import { encodeStruct, utf8Encode } from '../uapi/layout';
import { fuse_attr_out, fuse_entry_out, fuse_getattr_in, fuse_opcode } from '../uapi/fuse';
import { fuse_mount, inode, get_node_id } from './fuse_i';
import { fuse_args_in_out } from './dev';
import { decodeAttr, fuse_change_attributes, inode_cache } from './inode';
import { EIO, ENAMETOOLONG } from './lib/errno';

const FUSE_NAME_MAX = 1024;

/** dir.c fuse_lookup_name(): LOOKUP name in parent; the inode or -errno. */
export function fuse_lookup_name(fm: fuse_mount, icache: inode_cache, parent: bigint, name: string): inode | number {
  const nameBytes = utf8Encode(name + '\0');
  if (nameBytes.length - 1 > FUSE_NAME_MAX) return -ENAMETOOLONG;
  const outarg = new Uint8Array(fuse_entry_out.size);
  const args = fuse_args_in_out(fuse_opcode.FUSE_LOOKUP, parent, nameBytes, outarg);
  const err = fm.fc.iq.fuse_simple_request(args);
  if (err) return err;
  const nodeid = new DataView(outarg.buffer).getBigUint64(0, true);
  if (nodeid === 0n) return -EIO; // negative entry without error: not modelled
  return icache.fuse_iget(nodeid, decodeAttr(outarg, 40));
}

/** dir.c fuse_do_getattr(): refresh attributes (i_size included) from the server. */
export function fuse_do_getattr(fm: fuse_mount, ino: inode): number {
  const inarg = encodeStruct(fuse_getattr_in, {});
  const outarg = new Uint8Array(fuse_attr_out.size);
  const args = fuse_args_in_out(fuse_opcode.FUSE_GETATTR, get_node_id(ino), inarg, outarg);
  const err = fm.fc.iq.fuse_simple_request(args);
  if (err) return err;
  fuse_change_attributes(ino, decodeAttr(outarg, 16));
  return 0;
}
