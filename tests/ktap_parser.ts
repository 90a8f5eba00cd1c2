// A small KTAP v1 parser (Documentation/dev-tools/ktap.rst) used to check the
// harness's own output: version lines, plans, nesting by two spaces, result
// lines with directives, diagnostics. It reports structural errors.
export interface KtapResult { ok: boolean; num: number; name: string; directive?: string; subtests: KtapResult[] }
export interface KtapDoc { tests: KtapResult[]; errors: string[] }

const RESULT = /^(ok|not ok) (\d+)(?: ([^#]*?))?(?: # (SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b.*)?$/;

export function parseKtap(text: string): KtapDoc {
  const lines = text.split('\n').filter((l) => l.length);
  const errors: string[] = [];
  let i = 0;
  function block(indent: number): KtapResult[] {
    const pad = ' '.repeat(indent);
    if (lines[i] !== `${pad}KTAP version 1`) { errors.push(`line ${i + 1}: expected "${pad}KTAP version 1"`); return []; }
    i++;
    while (i < lines.length && lines[i].startsWith(`${pad}#`)) i++;
    const plan = new RegExp(`^${pad}1\\.\\.(\\d+)$`).exec(lines[i] ?? '');
    if (!plan) { errors.push(`line ${i + 1}: expected a plan`); return []; }
    i++;
    const want = Number(plan[1]);
    const out: KtapResult[] = [];
    let pending: KtapResult[] = [];
    while (i < lines.length && out.length < want) {
      const l = lines[i];
      if (l === `${pad}  KTAP version 1`) { pending = block(indent + 2); continue; }
      if (l.startsWith(`${pad}#`) || !l.startsWith(pad)) { i++; continue; }
      const m = RESULT.exec(l.slice(indent));
      if (!m) { i++; continue; }
      const r: KtapResult = { ok: m[1] === 'ok', num: Number(m[2]), name: (m[3] ?? '').trim(), directive: m[4], subtests: pending };
      if (r.num !== out.length + 1) errors.push(`line ${i + 1}: test number ${r.num}, expected ${out.length + 1}`);
      if (pending.length && pending.some((s) => !s.ok && s.directive !== 'XFAIL' && s.directive !== 'SKIP') && r.ok) errors.push(`line ${i + 1}: parent ok with a failing child`);
      pending = [];
      out.push(r);
      i++;
    }
    if (out.length !== want) errors.push(`plan ${want}, ran ${out.length} (indent ${indent})`);
    return out;
  }
  const tests = block(0);
  return { tests, errors };
}
