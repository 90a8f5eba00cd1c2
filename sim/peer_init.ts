// Why a mount is (not) in famfs mode: the gate of inode.c process_init_reply
// (v9 patches 02/04) read back from the INIT exchange on the channel, so the
// report can name the fact that decided it.
import { decodeStruct } from '../uapi/layout';
import { fuse_init_out, fuse_out_header, FUSE_DAX_FMAP, FUSE_INIT_EXT } from '../uapi/fuse';
import type { SimMount } from './vfs';

/** Whether the mount is in famfs mode, and the INIT fact that decided it. */
export interface FamfsModeReport {
  famfs: boolean;
  why: string;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** The server's INIT reply payload (fuse_init_out, possibly short), or null. */
function initReply(mnt: SimMount): { payload: Uint8Array } | null {
  const r = mnt.channel.initReply;
  return r ? { payload: r.bytes.subarray(fuse_out_header.size) } : null;
}

export function famfsModeReport(mnt: SimMount, mountResult: number): FamfsModeReport {
  const fc = mnt.fc;
  if (mountResult < 0) return { famfs: false, why: `INIT failed (${mountResult}): no mount` };
  if (fc.conn_error) return { famfs: false, why: 'INIT failed: conn_error is set, every later request gets -ECONNREFUSED' };
  const reply = initReply(mnt);
  const full = new Uint8Array(fuse_init_out.size);
  if (reply) full.set(reply.payload.subarray(0, full.length));
  const o = decodeStruct(fuse_init_out, full, 0);
  const flags = BigInt(o.flags);
  const ext = (flags & FUSE_INIT_EXT) !== 0n;
  const said = `the server answered INIT ${o.major}.${o.minor} (${reply?.payload.length ?? 0}-byte fuse_init_out) flags=${hex(flags)} flags2=${hex(o.flags2)}`;
  if (fc.famfs_iomap) return { famfs: true, why: `${said}: FUSE_DAX_FMAP claimed and offered` };
  if (!fc.env.config.CONFIG_FUSE_FAMFS_DAX) return { famfs: false, why: 'the kernel is built without CONFIG_FUSE_FAMFS_DAX' };
  if (!(fc.init_in_flags & FUSE_DAX_FMAP)) return { famfs: false, why: 'the kernel did not offer FUSE_DAX_FMAP (the mounter lacks CAP_SYS_RAWIO)' };
  if (o.minor < 6) return { famfs: false, why: `${said}: minor < 6, the kernel reads no flags` };
  if (!ext) return { famfs: false, why: `${said}: no FUSE_INIT_EXT, so flags2 (where FUSE_DAX_FMAP, bit 43, lives) is ignored: plain fuse mount` };
  return { famfs: false, why: `${said}: FUSE_DAX_FMAP (flags2 bit 11) not claimed: a server that does not speak famfs, plain fuse mount` };
}
