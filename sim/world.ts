// One call to build a whole simulated world: a machine with dax devices, a
// famfs server with files, and a mount over the channel.
import { SimMachine } from './machine';
import { FamfsServer, ServerConfig, ServerFile, ServerFault, InitPolicy } from './server';
import { MountOptions, SimMount } from './vfs';
import { MemoryStore } from './stores';
import type { DaxStore } from '../kernel/lib/dax';
import type { FusePeer } from './peer';
import { parseU64 } from '../uapi/fmap_codec';

export interface DeviceSpec {
  /** node name, e.g. /dev/dax0.0 */
  name: string;
  /** bytes (for memory stores); default 1 GiB */
  size?: string | number;
  /** the node sits on a nodev mount */
  nodev?: boolean;
  /** a ready-made store (file, mmap); default: memory */
  store?: DaxStore;
}

export interface WorldSpec {
  devices?: DeviceSpec[];
  /** what GET_DAXDEV answers per index; default: the device names in order */
  daxdevs?: string[];
  files?: ServerFile[];
  faults?: ServerFault[];
  init?: InitPolicy;
  mount?: MountOptions;
  /** other namespace entries, to exercise famfs_verify_daxdev */
  nodes?: { name: string; kind: 'chr' | 'blk' | 'reg' | 'dir' | 'symlink'; target?: string; nodev?: boolean }[];
  /** record the FUSE message trace (true: the default bound; a number: keep that many frames) */
  trace?: boolean | number;
}

export interface World {
  machine: SimMachine;
  /** the in-process server model (built from the spec even when another peer answers) */
  server: FamfsServer;
  /** who answers the kernel: the model, or an external server process */
  peer: FusePeer;
  mnt: SimMount;
  mountResult: number;
}

export const DEFAULT_DEVICE = '/dev/dax0.0';

export function createWorld(spec: WorldSpec, peer?: FusePeer): World {
  const machine = new SimMachine();
  const devices = spec.devices ?? [{ name: DEFAULT_DEVICE }];
  for (const d of devices) {
    const store = d.store ?? new MemoryStore(parseU64(d.size ?? 1024 * 1024 * 1024, `device ${d.name} size`));
    machine.addDaxDevice(d.name, store, { nodev: d.nodev });
  }
  for (const n of spec.nodes ?? []) {
    if (n.kind === 'symlink') machine.addSymlink(n.name, n.target ?? '');
    else machine.addNode(n.name, n.kind, { nodev: n.nodev });
  }
  const cfg: ServerConfig = { files: spec.files ?? [], daxdevs: spec.daxdevs ?? devices.map((d) => d.name), init: spec.init, faults: spec.faults };
  const server = new FamfsServer(cfg);
  const mnt = new SimMount(machine, peer ?? server, spec.mount);
  if (spec.trace) mnt.channel.enableTrace(typeof spec.trace === 'number' ? spec.trace : undefined);
  const mountResult = mnt.mount();
  return { machine, server, peer: peer ?? server, mnt, mountResult };
}
