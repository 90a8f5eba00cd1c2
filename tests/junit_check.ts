// A structural check of JUnit XML against the rules of Jenkins xunit's
// junit-10.xsd (the schema itself is not committed): which elements may nest
// where, which attributes each may carry and which are required, and the
// Surefire form of `time`. It also parses the XML strictly enough to catch
// unescaped markup.
export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

const NAME = /[A-Za-z_][\w.-]*/y;

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => { throw new Error(`xml offset ${i}: ${msg}`); };
  const ws = () => { while (i < src.length && /\s/.test(src[i])) i++; };
  const name = (): string => { NAME.lastIndex = i; const m = NAME.exec(src); if (!m) fail('expected a name'); i += m![0].length; return m![0]; };
  const text = (s: string) => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) fail(`unescaped markup in ${JSON.stringify(s.slice(0, 40))}`);
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  if (src.startsWith('<?xml')) { i = src.indexOf('?>') + 2; if (i < 2) fail('unterminated declaration'); }
  function element(): XmlElement {
    ws();
    if (src[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      ws();
      if (src.startsWith('/>', i)) { i += 2; return el; }
      if (src[i] === '>') { i++; break; }
      const a = name();
      ws();
      if (src[i] !== '=') fail(`attribute ${a} without a value`);
      i++;
      ws();
      const q = src[i];
      if (q !== '"' && q !== "'") fail('expected a quoted value');
      const end = src.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute');
      if (a in el.attrs) fail(`duplicate attribute ${a}`);
      el.attrs[a] = text(src.slice(i + 1, end));
      i = end + 1;
    }
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      el.text += text(src.slice(i, lt));
      i = lt;
      if (src.startsWith('</', i)) {
        i += 2;
        if (name() !== el.name) fail(`mismatched </…> for <${el.name}>`);
        ws();
        if (src[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      el.children.push(element());
    }
  }
  const root = element();
  ws();
  if (i !== src.length) fail('content after the root element');
  return root;
}

/** junit-10.xsd's SUREFIRE_TIME pattern. */
export const SUREFIRE_TIME = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?$/;

interface Rule { required: string[]; allowed: string[]; children: string[]; text: boolean; time?: 'surefire' | 'string' }
const RULES: Record<string, Rule> = {
  testsuites: { required: [], allowed: ['name', 'time', 'tests', 'failures', 'errors'], children: ['testsuite'], text: false, time: 'surefire' },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    allowed: ['name', 'tests', 'failures', 'errors', 'group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url', 'version'],
    children: ['testsuite', 'properties', 'testcase', 'system-out', 'system-err'], text: false, time: 'surefire',
  },
  testcase: {
    required: ['name'], allowed: ['name', 'time', 'classname', 'group'],
    children: ['skipped', 'error', 'failure', 'rerunFailure', 'rerunError', 'flakyFailure', 'flakyError', 'system-out', 'system-err'], text: false, time: 'string',
  },
  failure: { required: [], allowed: ['type', 'message'], children: [], text: true },
  error: { required: [], allowed: ['type', 'message'], children: [], text: true },
  skipped: { required: [], allowed: ['type', 'message'], children: [], text: true },
  properties: { required: [], allowed: [], children: ['property'], text: false },
  property: { required: ['name', 'value'], allowed: ['name', 'value'], children: [], text: false },
  'system-out': { required: [], allowed: [], children: [], text: true },
  'system-err': { required: [], allowed: [], children: [], text: true },
};

/** Every way the document departs from junit-10.xsd's structure (empty: it conforms). */
export function checkJunit10(xml: string): string[] {
  const problems: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    return [(e as Error).message];
  }
  if (root.name !== 'testsuites' && root.name !== 'testsuite') problems.push(`root <${root.name}> is neither testsuites nor testsuite`);
  const walk = (el: XmlElement, where: string) => {
    const rule = RULES[el.name];
    if (!rule) { problems.push(`${where}: element <${el.name}> is not in the schema`); return; }
    for (const a of rule.required) if (!(a in el.attrs)) problems.push(`${where}: <${el.name}> lacks required ${a}`);
    for (const a of Object.keys(el.attrs)) if (!rule.allowed.includes(a)) problems.push(`${where}: <${el.name}> may not carry ${a}`);
    if (rule.time === 'surefire' && 'time' in el.attrs && !SUREFIRE_TIME.test(el.attrs.time)) problems.push(`${where}: time "${el.attrs.time}" is not SUREFIRE_TIME`);
    if (!rule.text && el.text.trim()) problems.push(`${where}: <${el.name}> may not hold text`);
    el.children.forEach((c, k) => {
      if (!rule.children.includes(c.name)) problems.push(`${where}: <${c.name}> may not appear in <${el.name}>`);
      walk(c, `${where}/${c.name}[${k}]${c.attrs.name ? `(${c.attrs.name})` : ''}`);
    });
  };
  walk(root, root.name);
  return problems;
}
