// A KTAP version 1 reader (Documentation/dev-tools/ktap.rst) used to check the
// harness's own reports: version lines (KTAP version 1, TAP version 13/14),
// plans, result lines `<ok|not ok> <n> [<description>][ # [<directive>] [<data>]]`,
// diagnostics, unknown lines, and nesting by two spaces per level. It reports
// every departure from the spec as an error instead of guessing.
export const DIRECTIVES = ['SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR'] as const;
export type Directive = (typeof DIRECTIVES)[number];

export interface KtapTest {
  ok: boolean;
  num: number;
  name: string;
  /** a directive the spec knows; anything else after `#` is diagnostic data */
  directive?: Directive;
  /** the text after `#` (without a known directive keyword) */
  data?: string;
  /** diagnostic lines (without `# `) seen since the previous result at this level */
  log: string[];
  /** `# Subtest: NAME` of the nested block, when given */
  subtestName?: string;
  /** the nested block's plan (undefined: no nested block, or no plan) */
  plan?: number;
  subtests: KtapTest[];
  line: number;
}

export interface KtapDoc {
  version: string;
  plan?: number;
  tests: KtapTest[];
  /** top-level diagnostics after the last result (e.g. kselftest's `# Totals`) */
  trailer: string[];
  errors: string[];
}

const VERSION = /^(KTAP version 1|TAP version 1[34])$/;
const PLAN = /^1\.\.(\d+)$/;
const RESULT = /^(ok|not ok) (\d+)(?: ([^#]*?))?\s*(?:#(.*))?$/;

/** Does the result count as a failure? SKIP never does, nor an `ok` XFAIL/TODO. */
export function isFailing(t: KtapTest): boolean {
  return !t.ok && t.directive !== 'SKIP' && t.directive !== 'TODO';
}

interface Line { n: number; indent: number; text: string }

export function parseKtap(text: string): KtapDoc {
  const lines: Line[] = text.split('\n').map((raw, i) => {
    const indent = raw.length - raw.trimStart().length;
    return { n: i + 1, indent, text: raw.slice(indent).replace(/\r$/, '') };
  });
  while (lines.length && lines[lines.length - 1].text === '') lines.pop();
  const errors: string[] = [];
  const err = (l: Line | undefined, msg: string) => errors.push(`line ${l ? l.n : lines.length + 1}: ${msg}`);
  let i = 0;
  const isDiag = (l: Line) => l.text.startsWith('#');
  const kindOf = (l: Line) => (VERSION.test(l.text) ? 'version' : PLAN.test(l.text) ? 'plan' : RESULT.test(l.text) ? 'result' : isDiag(l) ? 'diag' : l.text === '' ? 'blank' : 'unknown');

  /** One block at `indent`: version, optional `# Subtest:`, plan, then tests until the plan is met or the block ends. */
  function block(indent: number): { version: string; plan?: number; subtestName?: string; tests: KtapTest[]; trailer: string[] } {
    const head = lines[i];
    const version = head.text;
    i++;
    let subtestName: string | undefined;
    let plan: number | undefined;
    const pre: string[] = [];
    while (i < lines.length && kindOf(lines[i]) !== 'result' && kindOf(lines[i]) !== 'version' && plan === undefined) {
      const l = lines[i];
      const k = kindOf(l);
      if (k === 'diag' && l.indent === indent) {
        const m = /^# Subtest: (.*)$/.exec(l.text);
        if (m) subtestName = m[1];
        else pre.push(l.text.replace(/^# ?/, ''));
      } else if (k === 'plan') {
        if (l.indent !== indent) err(l, `plan indented ${l.indent}, expected ${indent}`);
        plan = Number(PLAN.exec(l.text)![1]);
      } else if (k === 'diag') {
        pre.push(l.text.replace(/^# ?/, ''));
      }
      i++;
    }
    const tests: KtapTest[] = [];
    let log: string[] = pre;
    let nested: ReturnType<typeof block> | null = null;
    while (i < lines.length) {
      const l = lines[i];
      const k = kindOf(l);
      if (l.indent < indent && k !== 'blank' && k !== 'unknown') break; // the parent's result (or an outer line)
      if (k === 'version') {
        if (l.indent === indent + 2) {
          if (nested) err(l, 'a second nested block before the result line of the first');
          nested = block(indent + 2);
          continue;
        }
        err(l, `version line indented ${l.indent}, expected ${indent + 2} for a subtest`);
        i++;
        continue;
      }
      if (k === 'result') {
        if (l.indent !== indent) { err(l, `result line indented ${l.indent}, expected ${indent}`); i++; continue; }
        tests.push(result(l, tests.length + 1, log, nested));
        log = [];
        nested = null;
        i++;
        continue;
      }
      if (k === 'plan') err(l, 'a plan line after the first result of its block');
      else if (k === 'diag') log.push(l.text.replace(/^# ?/, ''));
      i++;
    }
    if (nested) err(lines[i - 1], `nested block${nested.subtestName ? ` ${nested.subtestName}` : ''} has no result line of its own`);
    if (plan !== undefined && tests.length !== plan) err(lines[i - 1], `plan 1..${plan} but ${tests.length} result(s) at indent ${indent}`);
    return { version, plan, subtestName, tests, trailer: log };
  }

  function result(l: Line, want: number, log: string[], nested: ReturnType<typeof block> | null): KtapTest {
    const m = RESULT.exec(l.text)!;
    const t: KtapTest = { ok: m[1] === 'ok', num: Number(m[2]), name: (m[3] ?? '').trim(), log, subtests: nested?.tests ?? [], line: l.n };
    if (nested) { t.plan = nested.plan; t.subtestName = nested.subtestName; }
    if (m[4] !== undefined) {
      const data = m[4].trim();
      const word = data.split(/\s+/)[0]?.toUpperCase();
      if ((DIRECTIVES as readonly string[]).includes(word)) {
        t.directive = word as Directive;
        const rest = data.slice(word.length).trim();
        if (rest) t.data = rest;
      } else if (data) t.data = data;
    }
    if (t.num !== want) err(l, `test number ${t.num}, expected ${want}`);
    if ((t.directive === 'TIMEOUT' || t.directive === 'ERROR') && t.ok) err(l, `${t.directive} on an ok line (the spec says not ok)`);
    if (t.directive === 'XFAIL' && !t.ok) err(l, 'not ok … # XFAIL: kselftest writes an expected failure as ok, and kunit.py counts this one as failed');
    if (nested) {
      if (nested.plan === undefined) err(l, `subtest block of ${t.name} has no plan`);
      if (nested.subtestName !== undefined && nested.subtestName !== t.name) err(l, `# Subtest: ${nested.subtestName} closed by result ${t.name}`);
      const failing = t.subtests.some(isFailing);
      if (failing && t.ok) err(l, `${t.name}: ok although a subtest fails`);
      if (!failing && !t.ok && t.directive !== 'SKIP') err(l, `${t.name}: not ok although no subtest fails`);
    }
    return t;
  }

  if (!lines.length || lines[0].indent !== 0 || !VERSION.test(lines[0].text)) {
    err(lines[0], 'the first line must be a version line ("KTAP version 1")');
    return { version: '', tests: [], trailer: [], errors };
  }
  const top = block(0);
  for (; i < lines.length; i++) if (kindOf(lines[i]) !== 'blank') err(lines[i], `left over after the top-level block: ${lines[i].text}`);
  if (top.plan === undefined) err(lines[0], 'no top-level plan');
  return { version: top.version, plan: top.plan, tests: top.tests, trailer: top.trailer, errors };
}
