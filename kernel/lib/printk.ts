// printk: the port logs as the C does (pr_err, pr_warn, ...); lines are kept in
// a ring so that a trace or a failing vector can show them.
export type Level = 'err' | 'warn' | 'notice' | 'info' | 'debug';

export interface LogLine { level: Level; msg: string }

const ring: LogLine[] = [];
const RING_MAX = 1000;

function emit(level: Level, msg: string): void {
  const line = { level, msg };
  if (ring.length >= RING_MAX) ring.shift();
  ring.push(line);
}

export const pr_err = (msg: string): void => emit('err', msg);
export const pr_warn = (msg: string): void => emit('warn', msg);
export const pr_notice = (msg: string): void => emit('notice', msg);
export const pr_info = (msg: string): void => emit('info', msg);
export const pr_debug = (msg: string): void => emit('debug', msg);

/** Take (and clear) what was logged since the last call. */
export function dmesg_take(): LogLine[] {
  return ring.splice(0, ring.length);
}

/** WARN_ON(cond): logs a warning with a backtrace marker, returns cond. */
export function WARN_ON(cond: boolean, what: string): boolean {
  if (cond) emit('warn', `WARNING: ${what}`);
  return cond;
}
