// fs/fuse/famfs.c (famfs-in-fuse series v9), ported function by function in the
// order of the C file. Each function is headed by the C function it ports.
// u64 / loff_t values are bigint with the C's wrap and sign behaviour. Where the
// C has a known flaw (shared/spec/review-history.md) the port keeps it and says so.
import { decodeStruct } from '../uapi/layout';
import {
  famfs_ext_type, fuse_daxdev_out, fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext,
  fuse_opcode, FUSE_FAMFS_MAX_EXTENTS, FUSE_FAMFS_MAX_STRIPS,
} from '../uapi/fuse';
import {
  famfs_daxdev, famfs_dax_devlist, famfs_extent_type, famfs_file_meta, famfs_meta_simple_ext, MAX_DAXDEVS,
  new_famfs_daxdev, new_famfs_file_meta, new_interleaved_ext, new_simple_ext,
} from './famfs_kfmap';
import {
  address_space_operations, famfs_meta_set, fuse_conn, fuse_inode, fuse_mount, get_fuse_conn, get_fuse_inode,
  get_node_id, i_size_read, i_size_write, inode, inode_lock, inode_unlock, IS_DAX, S_DAX,
} from './fuse_i';
import { FUSE_ARGS } from './dev';
import { EHWPOISON, EACCES, EINVAL, EIO, ENODEV, ENOMEM, ENXIO, ERANGE } from './lib/errno';
import { dax_dev_get, dax_device, dax_holder, dax_holder_operations, fs_dax_get, fs_put_dax, put_dax } from './lib/dax';
import { may_open_dev, S_ISCHR } from './lib/namei';
import { kcalloc, kfree, kstrdup, kzalloc } from './lib/slab';
import { cmpxchg, scoped_guard_read, scoped_guard_write } from './lib/locks';
import { iomap, iomap_ops, IOMAP_MAPPED } from './lib/iomap';
import { arch } from './lib/params';
import { IS_ALIGNED, int_shl_to_u64, min_u64, min_t_loff, s64, size_t, u64 } from './lib/types';
import { div_u64, KernelOops, mod_u64 } from './lib/oops';
import { pr_debug, pr_err, pr_notice, pr_warn, WARN_ON } from './lib/printk';
import {
  file, FAULT_FLAG_WRITE, iov_iter, iov_iter_count, iov_iter_truncate, kiocb, vm_area_struct, vm_fault,
  vm_operations_struct, VM_FAULT_NEEDDSYNC, VM_FAULT_SIGBUS, VM_HUGEPAGE, VM_SHARED,
} from './lib/fs';
import { dax_iomap_fault, dax_iomap_rw } from './lib/dax_iomap';
import { FAMFS_FAST_DECLINED, famfs_fast_fileofs_to_daxofs } from './famfs_fast';

/** (port helper) C: struct famfs_file_meta **metap — a slot the parser publishes into. */
export interface meta_slot {
  value: famfs_file_meta | null;
}

// famfs.c famfs_dax_notify_failure (v9)
function famfs_dax_notify_failure(dax_devp: dax_device, _offset: bigint, _len: bigint, _mf_flags: number): number {
  const fc = dax_holder(dax_devp) as fuse_conn;
  famfs_set_daxdev_err(fc, dax_devp);
  return 0;
}

// famfs.c famfs_fuse_dax_holder_ops (v9): only .notify_failure
export const famfs_fuse_dax_holder_ops: dax_holder_operations = {
  notify_failure: famfs_dax_notify_failure,
};

// famfs.c famfs_dax_aops (v9, patch 08): no dirty tracking, writes go straight to memory
export const famfs_dax_aops: address_space_operations = { name: 'famfs_dax_aops (.dirty_folio = noop_dirty_folio)' };

// famfs.c famfs_teardown (v9)
// [flaw, fixed post-v10] the detach of fc->dax_devlist is not done under
// famfs_devlist_sem, so it can race with notify_failure.
export function famfs_teardown(fc: fuse_conn): void {
  const devlist = fc.dax_devlist; // __free(kfree)
  fc.dax_devlist = null;

  if (!devlist) return;
  try {
    if (!devlist.devlist) return;

    // put every device the table holds
    for (let i = 0; i < devlist.nslots; i++) {
      const dd = devlist.devlist[i];
      if (!dd.valid) continue;

      // fs_put_dax only for a device fs_dax_get took
      if (dd.devp) {
        if (!dd.dax_err) fs_put_dax(dd.devp, fc);
        put_dax(dd.devp);
      }
      kfree(dd.name);
    }
    kfree(devlist.devlist);
  } finally {
    kfree(devlist);
  }
}

// famfs.c famfs_verify_daxdev (v9)
function famfs_verify_daxdev(fc: fuse_conn, pathname: string | null, devno: { value: number }): number {
  if (!pathname) return -EINVAL;

  const { err, path } = fc.env.ns.kern_path(pathname);
  if (err || !path) return err || -EINVAL;

  if (!S_ISCHR(path.i_mode)) return -EINVAL;

  if (!may_open_dev(path)) return -EACCES; /* had to export this */

  devno.value = path.i_rdev;
  return 0;
}

/**
 * (port helper) The daxdev name as the C uses it: a C string in a char[256]. [flaw B-19] The
 * C does not force a NUL; with 256 non-NUL bytes it reads past the struct. The
 * port takes the 256 bytes (as if the next byte were NUL) and warns.
 */
function daxdev_out_name(name: Uint8Array): string {
  const nul = name.indexOf(0);
  if (nul < 0) pr_warn('famfs_fuse_get_daxdev: daxdev name is not NUL-terminated (C reads past fuse_daxdev_out)');
  return new TextDecoder().decode(nul < 0 ? name : name.subarray(0, nul));
}

/** (port helper) fc->dax_devlist as the C dereferences it: NULL is an oops, not a JS TypeError. */
function devlist_of(fc: fuse_conn): famfs_dax_devlist {
  if (!fc.dax_devlist) throw new KernelOops('null_deref', 'fc->dax_devlist is NULL');
  return fc.dax_devlist;
}

// famfs.c famfs_fuse_get_daxdev (v9)
function famfs_fuse_get_daxdev(fm: fuse_mount, index: bigint): number {
  const daxdev_out = new Uint8Array(fuse_daxdev_out.size);
  const fc = fm.fc;
  const args = FUSE_ARGS();

  // record the device in the table slot
  if (index >= BigInt(devlist_of(fc).nslots)) {
    pr_err(`famfs_fuse_get_daxdev: index(${index}) > nslots(${devlist_of(fc).nslots})`);
    return -EINVAL;
  }

  args.opcode = fuse_opcode.FUSE_GET_DAXDEV;
  args.nodeid = index;
  args.in_numargs = 0;
  args.out_numargs = 1;
  args.out_args[0] = { size: daxdev_out.length, value: daxdev_out };

  // ask the server for the device behind this index
  let rc = fc.iq.fuse_simple_request(args);
  if (rc) {
    pr_err(`famfs_fuse_get_daxdev: rc=${rc} from fuse_simple_request()`);
    return rc;
  }
  const out = decodeStruct(fuse_daxdev_out, daxdev_out, 0);

  return scoped_guard_write(fc.famfs_devlist_sem, () => {
    const daxdev = (devlist_of(fc).devlist as famfs_daxdev[])[Number(index)];

    // another opener may have filled the slot meanwhile: done
    if (daxdev.valid) {
      pr_debug('famfs_fuse_get_daxdev: daxdev already known');
      return 0;
    }

    // the path must name a devdax character device we can open
    const name = daxdev_out_name(out.name);
    const devno = { value: daxdev.devno };
    rc = famfs_verify_daxdev(fc, name, devno);
    daxdev.devno = devno.value;
    if (rc) {
      pr_err(`famfs_fuse_get_daxdev: rc=${rc} from famfs_verify_daxdev()`);
      return rc;
    }

    daxdev.name = kstrdup('famfs_fuse_get_daxdev name', name);
    if (!daxdev.name) return -ENOMEM;

    // fails for anything that is not a dax device
    daxdev.devp = dax_dev_get(fc.env.dax, daxdev.devno);
    if (!daxdev.devp) {
      pr_warn(`famfs_fuse_get_daxdev: device ${name} not found or not dax`);
      kfree(daxdev.name);
      daxdev.name = null;
      return -ENODEV;
    }

    rc = fs_dax_get(daxdev.devp, fc, famfs_fuse_dax_holder_ops);
    if (rc) {
      /* Valid with dax_err: no retry loop; famfs_dax_err() gives -EIO;
       * teardown skips fs_put_dax and calls put_dax. */
      daxdev.dax_err = true;
      pr_err(`famfs_fuse_get_daxdev: fs_dax_get(${daxdev.devno}) failed`);
    }

    /* wmb(): all other fields visible before valid */
    daxdev.valid = true;
    return 0;
  });
}

// famfs.c famfs_update_daxdev_table (v9)
// [flaw B-14] GET_DAXDEV failures are logged and swallowed; the caller ignores
// the return value as well, so open succeeds and access fails later with -EIO.
function famfs_update_daxdev_table(fm: fuse_mount, meta: famfs_file_meta): number {
  const fc = fm.fc;
  const indices_to_fetch: number[] = [];

  // the first fmap on this connection allocates the device table
  if (!fc.dax_devlist) {
    const local_devlist = kzalloc('famfs_update_daxdev_table devlist', (): famfs_dax_devlist => ({ nslots: 0, ndevs: 0, devlist: null }));
    if (!local_devlist) return -ENOMEM;

    local_devlist.nslots = MAX_DAXDEVS;

    local_devlist.devlist = kcalloc('famfs_update_daxdev_table slots', MAX_DAXDEVS, new_famfs_daxdev);
    if (!local_devlist.devlist) {
      kfree(local_devlist);
      return -ENOMEM;
    }

    // cmpxchg publishes the table: no famfs_devlist_sem needed
    if (cmpxchg(fc, 'dax_devlist', null, local_devlist) !== null) {
      kfree(local_devlist.devlist);
      kfree(local_devlist); /* another thread beat us to it */
    }
  }
  const devlist = fc.dax_devlist as famfs_dax_devlist;

  // under the read lock: note which indices are still unknown
  scoped_guard_read(fc.famfs_devlist_sem, () => {
    const bits = Number(BigInt.asUintN(MAX_DAXDEVS, meta.dev_bitmap)); // the bits for_each_set_bit looks at (MAX_DAXDEVS 24 < 32)
    for (let i = 0; i < MAX_DAXDEVS; i++) {
      if (!((bits >>> i) & 1)) continue; // for_each_set_bit
      if (!(devlist.devlist as famfs_daxdev[])[i].valid) indices_to_fetch.push(i);
    }
  });

  // GET_DAXDEV for them with the lock dropped
  for (const idx of indices_to_fetch) {
    const err = famfs_fuse_get_daxdev(fm, BigInt(idx));
    if (err) pr_err(`famfs_update_daxdev_table: failed to get daxdev=${idx}`);
  }

  return 0;
}

// famfs.c famfs_set_daxdev_err (v9): the whole device is marked, offset/len ignored
function famfs_set_daxdev_err(fc: fuse_conn, dax_devp: dax_device): void {
  const found = scoped_guard_write(fc.famfs_devlist_sem, () => {
    const devlist = devlist_of(fc);
    for (let i = 0; i < devlist.nslots; i++) {
      const dd = (devlist.devlist as famfs_daxdev[])[i];
      if (!dd.valid) continue;
      if (dd.devp !== dax_devp) continue;
      dd.error = true;
      pr_err(`famfs_set_daxdev_err: memory error on daxdev ${dd.name?.s} (${i})`);
      return true;
    }
    return false;
  });
  if (!found) pr_err('famfs_set_daxdev_err: memory err on unrecognized daxdev');
}


// famfs.c __famfs_meta_free (v9; v7 fixed the loop to free every iext's strips, B-2)
export function __famfs_meta_free(fmap: famfs_file_meta | null): void {
  if (!fmap) return;

  switch (fmap.fm_extent_type) {
    case famfs_extent_type.SIMPLE_DAX_EXTENT:
      kfree(fmap.se);
      break;
    case famfs_extent_type.INTERLEAVED_EXTENT:
      if (fmap.ie) {
        for (let i = 0; i < fmap.fm_niext; i++) kfree(fmap.ie[i].ie_strips);
      }
      kfree(fmap.ie);
      break;
    default:
      pr_err('__famfs_meta_free: invalid fmap type');
      break;
  }

  kfree(fmap);
}

// famfs.c famfs_check_ext_alignment (v9)
// [flaw B-15] any dev_index != 0 counts as an error: v9 is single-device only.
function famfs_check_ext_alignment(se: famfs_meta_simple_ext): number {
  let errs = 0;

  if (se.dev_index !== 0n) errs++;

  /* TODO (C): pass in alignment so we can support the other page sizes */
  if (!IS_ALIGNED(se.ext_offset, arch.PMD_SIZE)) errs++;

  if (!IS_ALIGNED(se.ext_len, arch.PMD_SIZE)) errs++;

  return errs;
}

/** (port helper) one fuse_famfs_simple_ext out of the reply buffer */
function read_simple_ext(buf: Uint8Array, off: number) {
  return decodeStruct(fuse_famfs_simple_ext, buf, off);
}

// famfs.c famfs_fuse_meta_alloc (v9)
// Validation order and errnos as kernel-spec §3.4. Not checked by v9 (kept):
// fmap_version, file_type, sum overflow, chunk_size 0 (B-16), nbytes vs strips (B-17).
export function famfs_fuse_meta_alloc(fmap_buf: Uint8Array, fmap_buf_size: number, metap: meta_slot): number {
  let extent_total = 0n; // size_t
  let next_offset = 0; // size_t
  let errs = 0;

  // step over the fmap header
  next_offset += fuse_famfs_fmap_header.size;
  if (next_offset > fmap_buf_size) {
    pr_err(`famfs_fuse_meta_alloc: fmap_buf underflow offset/size ${next_offset}/${fmap_buf_size}`);
    return -EINVAL;
  }
  const fmh = decodeStruct(fuse_famfs_fmap_header, fmap_buf, 0);

  if (fmh.nextents < 1) {
    pr_err(`famfs_fuse_meta_alloc: nextents ${fmh.nextents} < 1`);
    return -ERANGE;
  }

  if (fmh.nextents > FUSE_FAMFS_MAX_EXTENTS) {
    pr_err(`famfs_fuse_meta_alloc: nextents ${fmh.nextents} > max (${FUSE_FAMFS_MAX_EXTENTS})`);
    return -ERANGE;
  }

  const meta = kzalloc('famfs_fuse_meta_alloc meta', new_famfs_file_meta); // __free(__famfs_meta_free)
  if (!meta) return -ENOMEM;
  let retained = false;
  try {
    meta.error = false;
    meta.file_type = fmh.file_type;
    meta.file_size = fmh.file_size;
    meta.fm_extent_type = fmh.ext_type;

    switch (fmh.ext_type) {
      case famfs_ext_type.FUSE_FAMFS_EXT_SIMPLE: {
        const se_in = next_offset;

        // step over the simple extents
        next_offset += fmh.nextents * fuse_famfs_simple_ext.size;
        if (next_offset > fmap_buf_size) {
          pr_err(`famfs_fuse_meta_alloc: fmap_buf underflow offset/size ${next_offset}/${fmap_buf_size}`);
          return -EINVAL;
        }

        meta.fm_nextents = fmh.nextents;

        meta.se = kcalloc('famfs_fuse_meta_alloc se', meta.fm_nextents, new_simple_ext);
        if (!meta.se) return -ENOMEM;

        /* unreachable in v9: the same range was checked above */
        if (meta.fm_nextents > FUSE_FAMFS_MAX_EXTENTS || meta.fm_nextents < 1) return -EINVAL;

        for (let i = 0; i < fmh.nextents; i++) {
          const e = read_simple_ext(fmap_buf, se_in + i * fuse_famfs_simple_ext.size);
          meta.se[i].dev_index = BigInt(e.se_devindex);
          meta.se[i].ext_offset = e.se_offset;
          meta.se[i].ext_len = e.se_len;

          /* Record bitmap of referenced daxdev indices ([flaw B-18] int shift) */
          meta.dev_bitmap |= int_shl_to_u64(meta.se[i].dev_index);

          errs += famfs_check_ext_alignment(meta.se[i]);

          extent_total = u64(extent_total + meta.se[i].ext_len);
        }
        break;
      }

      case famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE: {
        let size_remainder = s64(meta.file_size); // s64
        const niext = fmh.nextents;

        meta.fm_niext = niext;

        // the interleaved extent array
        meta.ie = kcalloc('famfs_fuse_meta_alloc ie', niext, new_interleaved_ext);
        if (!meta.ie) return -ENOMEM;

        /* Each interleaved extent has a simple extent list of strips */
        for (let i = 0; i < niext; i++) {
          // ie_in: the next interleaved extent header in the reply
          const ie_off = next_offset;

          // step over that header
          next_offset += fuse_famfs_iext.size;
          if (next_offset > fmap_buf_size) {
            pr_err(`famfs_fuse_meta_alloc: fmap_buf underflow offset/size ${next_offset}/${fmap_buf_size}`);
            return -EINVAL;
          }
          const ie_in = decodeStruct(fuse_famfs_iext, fmap_buf, ie_off);

          if (!IS_ALIGNED(BigInt(ie_in.ie_chunk_size), arch.PMD_SIZE)) {
            // (the C prints the not-yet-filled meta->ie[i].fie_chunk_size: always 0)
            pr_err(`famfs_fuse_meta_alloc: chunk_size ${meta.ie[i].fie_chunk_size} not PMD-aligned`);
            return -EINVAL;
          }

          if (ie_in.ie_nbytes === 0n) {
            pr_err('famfs_fuse_meta_alloc: zero-length interleave!');
            return -EINVAL;
          }

          const nstrips = BigInt(ie_in.ie_nstrips); // u64
          meta.ie[i].fie_chunk_size = BigInt(ie_in.ie_chunk_size);
          meta.ie[i].fie_nstrips = BigInt(ie_in.ie_nstrips);
          meta.ie[i].fie_nbytes = ie_in.ie_nbytes;

          // sie_in: its strip extents in the reply
          const sie_in = next_offset;

          // step over the strip extents
          next_offset += ie_in.ie_nstrips * fuse_famfs_simple_ext.size;
          if (next_offset > fmap_buf_size) {
            pr_err(`famfs_fuse_meta_alloc: fmap_buf underflow offset/size ${next_offset}/${fmap_buf_size}`);
            return -EINVAL;
          }

          if (nstrips > BigInt(FUSE_FAMFS_MAX_STRIPS) || nstrips < 1n) {
            pr_err(`famfs_fuse_meta_alloc: invalid nstrips=${nstrips} (max=${FUSE_FAMFS_MAX_STRIPS})`);
            errs++;
          }

          // the strip extent array
          const strips_out = kcalloc('famfs_fuse_meta_alloc ie_strips', ie_in.ie_nstrips, new_simple_ext);
          meta.ie[i].ie_strips = strips_out;
          if (!strips_out) return -ENOMEM;

          // one pass per strip
          for (let j = 0; j < ie_in.ie_nstrips; j++) {
            const s = read_simple_ext(fmap_buf, sie_in + j * fuse_famfs_simple_ext.size);
            const devindex = BigInt(s.se_devindex);
            const offset = s.se_offset;
            const len = s.se_len;

            strips_out[j].dev_index = devindex;
            strips_out[j].ext_offset = offset;
            strips_out[j].ext_len = len;

            /* Record bitmap of referenced daxdev indices ([flaw B-18] int shift) */
            meta.dev_bitmap |= int_shl_to_u64(devindex);

            extent_total = u64(extent_total + len);
            errs += famfs_check_ext_alignment(strips_out[j]);
            size_remainder = s64(size_remainder - len);
          }
        }

        if (size_remainder > 0n) {
          // the interleaved extents do not cover the file
          pr_err(`famfs_fuse_meta_alloc: size_remainder ${size_remainder}`);
          return -EINVAL;
        }
        break;
      }

      default:
        pr_err(`famfs_fuse_meta_alloc: invalid ext_type ${fmh.ext_type}`);
        return -EINVAL;
    }

    if (errs > 0) {
      pr_err(`famfs_fuse_meta_alloc: ${errs} alignment errors found`);
      return -EINVAL;
    }

    // further consistency checks
    if (extent_total < meta.file_size) {
      pr_err(`famfs_fuse_meta_alloc: file size ${meta.file_size} larger than map size ${extent_total}`);
      return -EINVAL;
    }

    if (cmpxchg(metap, 'value', null, meta) !== null) {
      pr_debug('famfs_fuse_meta_alloc: fmap race detected');
      return 0; /* fmap already installed */
    }
    retained = true; // retain_and_null_ptr(meta)

    return 0;
  } finally {
    if (!retained) __famfs_meta_free(meta);
  }
}

// famfs.c famfs_file_init_dax (v9; the v7 "simplified" form, no unbalanced unlock, B-4 of §4.1)
export function famfs_file_init_dax(fm: fuse_mount, ino: inode, fmap_buf: Uint8Array, fmap_size: number): number {
  const fi = get_fuse_inode(ino);
  const meta: meta_slot = { value: null };

  if (fi.famfs_meta) {
    pr_notice(`famfs_file_init_dax: i_no=${ino.i_ino} fmap_size=${fmap_size} ALREADY INITIALIZED`);
    return 0;
  }

  const rc = famfs_fuse_meta_alloc(fmap_buf, fmap_size, meta);
  if (rc) {
    __famfs_meta_free(meta.value); // errout
    return rc;
  }
  const m = meta.value as famfs_file_meta;

  /* Make sure this fmap doesn't reference any unknown daxdevs (return ignored) */
  famfs_update_daxdev_table(fm, m);

  // hang the metadata on the inode (fi->famfs_meta)
  inode_lock(ino);
  if (famfs_meta_set(fi, m) === null) {
    i_size_write(ino, m.file_size);
    ino.i_flags |= S_DAX;
    ino.i_data.a_ops = famfs_dax_aops;
  } else {
    pr_debug('famfs_file_init_dax: file already had metadata');
    __famfs_meta_free(m);
    // rc == 0: the fmap is valid
  }
  inode_unlock(ino);
  return 0;
}

// ---- iomap operations ----

// famfs.c famfs_dax_err (v9): !valid and dax_err -> -EIO, memory error -> -EHWPOISON
function famfs_dax_err(dd: famfs_daxdev): number {
  if (!dd.valid) {
    pr_err(`famfs_dax_err: daxdev=${dd.name?.s} invalid`);
    return -EIO;
  }
  if (dd.dax_err) {
    pr_err(`famfs_dax_err: daxdev=${dd.name?.s} dax_err`);
    return -EIO;
  }
  if (dd.error) {
    pr_err(`famfs_dax_err: daxdev=${dd.name?.s} memory error`);
    return -EHWPOISON;
  }
  return 0;
}

/** (port helper) The common err_out label of both resolvers: a zero-length, device-less mapping and -EIO. */
function iomap_err_out(map: iomap, file_offset: bigint, flags: number, who: string): number {
  pr_err(`${who}: err_out`);
  map.addr = 0n; /* there is no valid dax device offset */
  map.offset = file_offset;
  map.length = 0n;
  map.dax_dev = null;
  map.type = IOMAP_MAPPED;
  map.flags = flags;
  return -EIO; /* v3 returned 0 here (B-13); the C comment above it still says so */
}

// famfs.c famfs_interleave_fileofs_to_daxofs (v9; the v7 fix of the robot-reported B-1 regression)
// [flaw B-16] chunk_size 0 passes the PMD test and divides by zero (modelled as a #DE oops).
// [flaw B-17] strip_offset is never checked against the strip's ext_len.
function famfs_interleave_fileofs_to_daxofs(ino: inode, map: iomap, file_offset: bigint, len: bigint, flags: number): number {
  const fi = get_fuse_inode(ino);
  const meta = fi.famfs_meta as famfs_file_meta;
  const fc = get_fuse_conn(ino);
  let local_offset = file_offset; // loff_t
  const who = 'famfs_interleave_fileofs_to_daxofs';

  // interleaved extents only
  if (meta.fm_extent_type !== famfs_extent_type.INTERLEAVED_EXTENT) {
    pr_err(`${who}: bad extent type`);
    return iomap_err_out(map, file_offset, flags, who);
  }

  if (famfs_file_bad(ino)) return iomap_err_out(map, file_offset, flags, who);

  map.offset = file_offset;

  const ie = meta.ie as NonNullable<famfs_file_meta['ie']>;
  const devlist = fc.dax_devlist as famfs_dax_devlist;
  for (let i = 0; i < meta.fm_niext; i++) {
    const fei = ie[i];
    const chunk_size = fei.fie_chunk_size;
    const nstrips = fei.fie_nstrips;
    const ext_size = min_u64(fei.fie_nbytes, meta.file_size);

    if (!IS_ALIGNED(chunk_size, arch.PMD_SIZE)) {
      pr_err(`${who}: chunk_size ${chunk_size} not PMD-aligned`);
      return -EINVAL;
    }
    if (ext_size === 0n) {
      pr_err(`${who}: ext_size=${fei.fie_nbytes} file_size=${meta.file_size}`);
      return iomap_err_out(map, file_offset, flags, who);
    }

    /* Is the data in this striped extent? (loff_t vs u64: compared as u64) */
    if (u64(local_offset) < ext_size) {
      const lo = u64(local_offset);
      const chunk_num = div_u64(lo, chunk_size, who);
      const chunk_offset = mod_u64(lo, chunk_size, who);
      const chunk_remainder = chunk_size - chunk_offset;
      const stripe_num = div_u64(chunk_num, nstrips, who);
      const strip_num = mod_u64(chunk_num, nstrips, who);
      const strip_offset = u64(chunk_offset + stripe_num * chunk_size);
      const strips = fei.ie_strips as famfs_meta_simple_ext[];
      const strip_dax_ofs = strips[Number(strip_num)].ext_offset;
      const strip_devidx = strips[Number(strip_num)].dev_index;

      if (strip_devidx >= BigInt(devlist.nslots)) {
        pr_err(`${who}: strip_devidx ${strip_devidx} >= nslots ${devlist.nslots}`);
        return iomap_err_out(map, file_offset, flags, who);
      }

      const devs = devlist.devlist as famfs_daxdev[];
      /* invalid slot: -EIO without marking the file bad (unlike the simple path) */
      if (!devs[Number(strip_devidx)].valid) {
        pr_err(`${who}: daxdev=${strip_devidx} invalid`);
        return iomap_err_out(map, file_offset, flags, who);
      }

      const dd = devs[Number(strip_devidx)];

      const rc = famfs_dax_err(dd);
      if (rc) {
        // no more access to this file
        meta.error = true;
        return rc;
      }

      map.addr = u64(strip_dax_ofs + strip_offset);
      map.offset = file_offset;
      map.length = u64(min_t_loff(len, chunk_remainder)); // iomap->length is u64
      map.dax_dev = dd.devp;
      map.type = IOMAP_MAPPED;
      map.flags = flags;
      return 0;
    }
    local_offset = s64(local_offset - ext_size); /* offset is beyond this striped extent */
  }

  return iomap_err_out(map, file_offset, flags, who);
}

// famfs.c famfs_fileofs_to_daxofs (v9)
// Resolve (file, offset, len) to (daxdev, offset, len). No clamping to
// file_size here: callers clamp. ext_len >= 2^63 turns negative as loff_t and
// never matches (-EIO).
export function famfs_fileofs_to_daxofs(ino: inode, map: iomap, file_offset: bigint, len: bigint, flags: number): number {
  const fi = get_fuse_inode(ino);
  const meta = fi.famfs_meta as famfs_file_meta;
  const fc = get_fuse_conn(ino);
  let local_offset = file_offset; // loff_t
  const who = 'famfs_fileofs_to_daxofs';

  if (!fc.dax_devlist) {
    pr_err(`${who}: null dax_devlist`);
    return iomap_err_out(map, file_offset, flags, who);
  }

  if (famfs_file_bad(ino)) return iomap_err_out(map, file_offset, flags, who);

  if (meta.fm_extent_type === famfs_extent_type.INTERLEAVED_EXTENT) {
    return famfs_interleave_fileofs_to_daxofs(ino, map, file_offset, len, flags);
  }

  map.offset = file_offset;

  const se = meta.se as famfs_meta_simple_ext[];
  const devlist = fc.dax_devlist;
  for (let i = 0; i < meta.fm_nextents; i++) {
    /* TODO (C): check devindex too */
    const dax_ext_offset = s64(se[i].ext_offset); // loff_t
    const dax_ext_len = s64(se[i].ext_len); // loff_t
    const daxdev_idx = se[i].dev_index; // u64

    /* local_offset < dax_ext_len: the data of interest starts in this extent */
    if (local_offset < dax_ext_len) {
      const ext_len_remainder = s64(dax_ext_len - local_offset);

      if (daxdev_idx >= BigInt(devlist.nslots)) {
        pr_err(`${who}: daxdev_idx ${daxdev_idx} >= nslots ${devlist.nslots}`);
        return iomap_err_out(map, file_offset, flags, who);
      }

      const dd = (devlist.devlist as famfs_daxdev[])[Number(daxdev_idx)];

      const rc = famfs_dax_err(dd);
      if (rc) {
        // no more access to this file
        meta.error = true;
        return rc;
      }

      map.addr = u64(dax_ext_offset + local_offset);
      map.offset = file_offset;
      map.length = u64(min_t_loff(len, ext_len_remainder)); // iomap->length is u64: a negative loff_t lands as 2^64 - n
      map.dax_dev = dd.devp;
      map.type = IOMAP_MAPPED;
      map.flags = flags;
      return 0;
    }
    local_offset = s64(local_offset - dax_ext_len); /* Get ready for the next extent */
  }

  return iomap_err_out(map, file_offset, flags, who);
}

// famfs.c famfs_fuse_iomap_begin (v9): files are never sparse, never allocate on write
export function famfs_fuse_iomap_begin(ino: inode, offset: bigint, length: bigint, flags: number, map: iomap, _srcmap: iomap | null): number {
  const fi = get_fuse_inode(ino);
  const meta = fi.famfs_meta;
  if (!meta) throw new KernelOops('null_deref', 'famfs_fuse_iomap_begin: fi->famfs_meta is NULL');

  const size = i_size_read(ino);

  WARN_ON(size !== meta.file_size, 'famfs_fuse_iomap_begin: i_size != meta->file_size');

  /* (port) the validated common case on plain numbers; everything else below */
  const fast = famfs_fast_fileofs_to_daxofs(ino, meta, map, offset, length, flags);
  if (fast !== FAMFS_FAST_DECLINED) return fast;

  return famfs_fileofs_to_daxofs(ino, map, offset, length, flags);
}

// famfs.c famfs_iomap_ops (v9): only .iomap_begin — no iomap_end, no write ops
export const famfs_iomap_ops: iomap_ops<inode> = {
  iomap_begin: famfs_fuse_iomap_begin,
};

// ---- vm operations ----

// famfs.c __famfs_fuse_filemap_fault (v9)
function __famfs_fuse_filemap_fault(vmf: vm_fault<inode>, pe_size: number, write_fault: boolean): number {
  const ino = vmf.vma.vm_file.f_inode;

  if (!IS_DAX(ino)) {
    pr_err('__famfs_fuse_filemap_fault: file not marked IS_DAX!!');
    return VM_FAULT_SIGBUS;
  }

  if (write_fault) {
    // sb_start_pagefault(inode->i_sb); file_update_time(vmf->vma->vm_file);
    ino.i_mtime++;
  }

  let ret = dax_iomap_fault(vmf, pe_size, famfs_iomap_ops);
  if (ret & VM_FAULT_NEEDDSYNC) ret &= ~VM_FAULT_NEEDDSYNC; // dax_finish_sync_fault: no MAP_SYNC in the model

  // if (write_fault) sb_end_pagefault(inode->i_sb);
  return ret;
}

// famfs.c famfs_is_write_fault (v9)
function famfs_is_write_fault(vmf: vm_fault<inode>): boolean {
  return (vmf.flags & FAULT_FLAG_WRITE) !== 0 && (vmf.vma.vm_flags & VM_SHARED) !== 0;
}

// famfs.c famfs_filemap_fault (v9)
function famfs_filemap_fault(vmf: vm_fault<inode>): number {
  return __famfs_fuse_filemap_fault(vmf, 0, famfs_is_write_fault(vmf));
}

// famfs.c famfs_filemap_huge_fault (v9)
function famfs_filemap_huge_fault(vmf: vm_fault<inode>, pe_size: number): number {
  return __famfs_fuse_filemap_fault(vmf, pe_size, famfs_is_write_fault(vmf));
}

// famfs.c famfs_filemap_mkwrite (v9): page_mkwrite and pfn_mkwrite are write faults
function famfs_filemap_mkwrite(vmf: vm_fault<inode>): number {
  return __famfs_fuse_filemap_fault(vmf, 0, true);
}

// famfs.c famfs_file_vm_ops (v9); .map_pages = filemap_map_pages is not modelled
export const famfs_file_vm_ops: vm_operations_struct<inode> = {
  fault: famfs_filemap_fault,
  huge_fault: famfs_filemap_huge_fault,
  page_mkwrite: famfs_filemap_mkwrite,
  pfn_mkwrite: famfs_filemap_mkwrite,
};

// ---- file operations ----

// famfs.c famfs_file_bad (v9): no meta / sticky error -> -EIO; size changed ->
// mark bad, -ENXIO (so -ENXIO once, then -EIO); not S_DAX -> -ENXIO.
export function famfs_file_bad(ino: inode): number {
  const fi = get_fuse_inode(ino);
  const meta = fi.famfs_meta;
  const i_size = i_size_read(ino);

  if (!meta) {
    pr_err('famfs_file_bad: un-initialized famfs file');
    return -EIO;
  }
  if (meta.error) {
    pr_debug('famfs_file_bad: previously detected metadata errors');
    return -EIO;
  }
  if (i_size !== meta.file_size) {
    pr_warn(`famfs_file_bad: i_size overwritten from ${meta.file_size} to ${i_size}`);
    meta.error = true;
    return -ENXIO;
  }
  if (!IS_DAX(ino)) {
    pr_debug(`famfs_file_bad: inode ${ino.i_ino} IS_DAX is false`);
    return -ENXIO;
  }
  return 0;
}

// famfs.c famfs_fuse_rw_prep (v9; the pos >= i_size guard is the V3 fix of B-5)
function famfs_fuse_rw_prep(iocb: kiocb<inode>, ubuf: iov_iter): number {
  const ino = iocb.ki_filp.f_inode;
  const i_size = i_size_read(ino);
  const count = size_t(iov_iter_count(ubuf));
  let max_count: bigint;

  const rc = famfs_file_bad(ino);
  if (rc) return rc;

  // a position past EOF must not underflow the count
  if (iocb.ki_pos >= i_size) max_count = 0n;
  else max_count = i_size - iocb.ki_pos;

  if (count > max_count) iov_iter_truncate(ubuf, max_count);

  if (!iov_iter_count(ubuf)) return 0;

  return rc;
}

// famfs.c famfs_fuse_read_iter (v9)
export function famfs_fuse_read_iter(iocb: kiocb<inode>, to: iov_iter): number {
  let rc = famfs_fuse_rw_prep(iocb, to);
  if (rc) return rc;

  if (!iov_iter_count(to)) return 0;

  rc = dax_iomap_rw(iocb, to, famfs_iomap_ops);

  iocb.ki_filp.f_inode.i_atime++; // file_accessed()
  return rc;
}

// famfs.c famfs_fuse_write_iter (v9): never extends; a write at/after EOF returns 0
export function famfs_fuse_write_iter(iocb: kiocb<inode>, from: iov_iter): number {
  const rc = famfs_fuse_rw_prep(iocb, from);
  if (rc) return rc;

  if (!iov_iter_count(from)) return 0;

  return dax_iomap_rw(iocb, from, famfs_iomap_ops);
}

// famfs.c famfs_fuse_mmap (v9)
export function famfs_fuse_mmap(filp: file<inode>, vma: vm_area_struct<inode>): number {
  const ino = filp.f_inode;

  const rc = famfs_file_bad(ino);
  if (rc) return rc;

  ino.i_atime++; // file_accessed()
  vma.vm_ops = famfs_file_vm_ops;
  vma.vm_flags |= VM_HUGEPAGE;
  return 0;
}

// famfs.c FMAP_BUFSIZE (v9): one page ([design B-20] below FAMFS_FMAP_MAX)
export const FMAP_BUFSIZE = (): number => Number(arch.PAGE_SIZE);

/*
 * (port) The page fuse_get_fmap kzallocs and frees on every open: a fresh
 * 4 KiB ArrayBuffer per open was a tenth of the open's time plus its GC. The
 * memory is kept between calls, each call gets a new (zeroed) view of it: a
 * new object, so kzalloc/kfree account it as one allocation each, as before
 * (one reused object would pile up dead entries of one hash in the slab's
 * Map). While a call holds it the spare slot is empty, so a nested GET_FMAP
 * (a server hook that opens) gets its own. Nothing keeps a view of it past
 * the parse (decodeStruct copies).
 */
let fmap_page_spare: ArrayBuffer | null = null;

/** (port helper) kzalloc's make for fmap_buf: a zeroed new view of the spare page, or a new page */
function fmap_buf_zeroed(size: number): Uint8Array {
  const page = fmap_page_spare;
  fmap_page_spare = null;
  if (page && page.byteLength === size) return new Uint8Array(page).fill(0);
  return new Uint8Array(size);
}

// famfs.c fuse_get_fmap (v9): one GET_FMAP per inode lifetime
export function fuse_get_fmap(fm: fuse_mount, ino: inode): number {
  const fi = get_fuse_inode(ino);
  const fmap_bufsize = FMAP_BUFSIZE();
  const nodeid = get_node_id(ino);
  const args = FUSE_ARGS();

  // metadata already present: no GET_FMAP
  if (fi.famfs_meta) return 0;

  const fmap_buf = kzalloc('fuse_get_fmap fmap_buf', () => fmap_buf_zeroed(fmap_bufsize)); // __free(kfree)
  if (!fmap_buf) return -ENOMEM;
  try {
    args.opcode = fuse_opcode.FUSE_GET_FMAP;
    args.nodeid = nodeid;

    /* Variable-sized output buffer: fuse_simple_request() returns the payload size */
    args.out_argvar = true;
    args.out_numargs = 1;
    args.out_args[0] = { size: fmap_bufsize, value: fmap_buf };

    // fetch the fmap from the server
    const rc = fm.fc.iq.fuse_simple_request(args);
    if (rc < 0) {
      pr_err(`fuse_get_fmap: err=${rc} from fuse_simple_request()`);
      return rc;
    }
    const fmap_size = rc;

    // parse the reply into famfs_file_meta on the inode
    return famfs_file_init_dax(fm, ino, fmap_buf, fmap_size);
  } finally {
    kfree(fmap_buf);
    fmap_page_spare = fmap_buf.buffer as ArrayBuffer;
  }
}

// fuse_i.h famfs_meta_free (v9): free the inode's meta if set, then clear it
// (the C's clear is itself a NULL->x cmpxchg, effectively a no-op; the pointer
// dies with the inode).
export function famfs_meta_free(fi: fuse_inode): void {
  if (fi.famfs_meta) {
    __famfs_meta_free(fi.famfs_meta);
    famfs_meta_set(fi, null);
  }
}

