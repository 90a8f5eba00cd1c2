// Every command, option and positional of the CLI carries help text: walk
// `--help` from the top through every sub-command.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const help = (words: string[]) => spawnSync(process.execPath, [BIN, ...words, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } }).stdout;

/** Sub-command words listed under "Commands:" on one help page. */
function subcommands(page: string, words: string[]): string[][] {
  const section = /^Commands:\n([\s\S]*?)(?:\n\n|(?![\s\S]))/m.exec(page)?.[1] ?? '';
  return section.split('\n')
    .map((l) => /^ {2}famfs-harness (.+?)(?: {2,}|$)/.exec(l)?.[1].split(' ').filter((w) => !/^[<[]/.test(w)))
    .filter((w): w is string[] => !!w && w.length > words.length);
}

/** Entries under "Positionals:" and "Options:" that show only a name and type annotations. */
function undocumented(page: string): string[] {
  const out: string[] = [];
  for (const title of ['Positionals', 'Options']) {
    const section = new RegExp(`^${title}:\\n([\\s\\S]*?)(?:\\n\\n|(?![\\s\\S]))`, 'm').exec(page)?.[1] ?? '';
    for (const l of section.split('\n')) {
      const m = title === 'Positionals' ? /^ {2}([\w-]+)(.*)$/.exec(l) : /^\s{2,}((?:-\w, )?--?[\w-]+)(.*)$/.exec(l);
      if (!m || ['--help', '--version'].includes(m[1])) continue;
      if (!m[2].replace(/\[(?:[^[\]]|\[[^\]]*\])*\]/g, '').trim()) out.push(m[1]);
    }
  }
  return out;
}

(built ? describe : describe.skip)('help text', () => {
  test('every option and positional of every command is described', () => {
    const missing: string[] = [];
    const seen: string[] = [];
    const queue: string[][] = [[]];
    while (queue.length) {
      const words = queue.shift()!;
      const page = help(words);
      seen.push(words.join(' '));
      for (const name of undocumented(page)) missing.push(`${words.join(' ') || '(top)'} ${name}`);
      queue.push(...subcommands(page, words));
    }
    expect(seen).toEqual(expect.arrayContaining(['conformance', 'fmap decode', 'image cp', 'report merge', 'sim run', 'dax selftest']));
    expect(missing).toEqual([]);
  });
});
