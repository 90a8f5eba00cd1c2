// Where C definitions start and end, read the way the kernel writes them:
// a definition begins at column 0 (the return type may sit on the line
// above), an ops table is `[static] const struct X name =`, a function's
// parameter list is followed by "{" (a prototype's by ";"), and the body ends
// at the next column-0 "}". Shared by series (hunks) and the port map (files).

export interface CDefinition {
  name: string;
  kind: 'function' | 'ops' | 'define';
  /** 1-based, inclusive; a function starts at its return-type line when that sits alone above */
  start: number;
  end: number;
  /** the definition's text, comments removed and blanks collapsed (to compare revisions) */
  normalized: string;
}

const NOT_FUNCTIONS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'do', 'else']);

/** The name a column-0 line would define: a function `name(`, an ops table `struct X name =`. */
export function definedName(text: string): { name: string; kind: 'function' | 'ops' } | null {
  if (!/^[A-Za-z_]/.test(text)) return null;
  const ops = /^(?:static\s+)?(?:const\s+)?struct\s+\w+\s+(\w+)\s*(?:\[\]\s*)?=/.exec(text);
  if (ops) return { name: ops[1], kind: 'ops' };
  const fn = /^(?:[A-Za-z_][\w\s*]*?[\s*])?([A-Za-z_]\w*)\s*\(/.exec(text);
  if (!fn || NOT_FUNCTIONS.has(fn[1]) || /^[A-Z0-9_]+$/.test(fn[1])) return null; // MACRO(...) invocations
  return { name: fn[1], kind: 'function' };
}

/**
 * Is the function header starting at lines[0] a definition: is its parameter
 * list followed by "{" rather than ";", "=" or ","? A header whose end is not
 * in `lines` (a hunk cut it) is taken as a definition.
 */
export function headerIsDefinition(lines: string[]): boolean {
  let depth = 0;
  let opened = false;
  for (const text of lines) {
    for (const ch of text) {
      if (!opened || depth > 0) {
        if (ch === '(') { depth++; opened = true; } else if (ch === ')') depth--;
        continue;
      }
      if (ch === '{') return true;
      if (ch === ';' || ch === '=' || ch === ',') return false;
      // anything else (attributes, a comment) sits between the header and its brace
    }
  }
  return true;
}

export function stripCComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
}

/** Blank out comment text line by line (line numbers kept), so no definition is found inside a comment. */
function blankComments(lines: string[]): string[] {
  let inComment = false;
  return lines.map((line) => {
    let out = '';
    for (let i = 0; i < line.length; i++) {
      if (inComment) { if (line.startsWith('*/', i)) { inComment = false; i++; } out += ' '; continue; }
      if (line.startsWith('/*', i)) { inComment = true; i++; out += '  '; continue; }
      if (line.startsWith('//', i)) break;
      out += line[i];
    }
    return out;
  });
}

/** Every function, ops table and #define of a C source, in file order. */
export function cDefinitions(source: string): CDefinition[] {
  const raw = source.replace(/\r\n?/g, '\n').split('\n');
  const lines = blankComments(raw);
  const out: CDefinition[] = [];
  const norm = (a: number, b: number) => stripCComments(raw.slice(a, b + 1).join('\n')).replace(/\s+/g, ' ').trim();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const define = /^#\s*define\s+(\w+)/.exec(l);
    if (define) {
      let end = i;
      while (end < lines.length - 1 && /\\\s*$/.test(lines[end])) end++;
      out.push({ name: define[1], kind: 'define', start: i + 1, end: end + 1, normalized: norm(i, end) });
      i = end;
      continue;
    }
    const def = definedName(l);
    if (!def || (def.kind === 'function' && !headerIsDefinition(lines.slice(i, i + 40)))) continue;
    let end = i;
    while (end < lines.length - 1 && !/^\}/.test(lines[end])) end++;
    const typeAbove = def.kind === 'function' && l.startsWith(def.name) && i > 0 && /^[A-Za-z_][\w\s*]*$/.test(lines[i - 1].trimEnd());
    const start = typeAbove ? i - 1 : i;
    out.push({ name: def.name, kind: def.kind, start: start + 1, end: end + 1, normalized: norm(start, end) });
    i = end;
  }
  return out;
}
