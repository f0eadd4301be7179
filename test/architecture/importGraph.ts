/**
 * The import graph of the project's own modules, read from the source text (no bundler, no
 * TypeScript program: a scan of every `import`/`export ... from`/`import()` with a string
 * specifier). Relative specifiers are resolved to files; bare ones (`node:fs`, `mqtt`) are kept
 * as they are. An import is type-only when TypeScript erases it: `import type`, `export type`,
 * or braces whose every name is marked `type`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportEdge {
  /** The specifier as written. */
  readonly specifier: string;
  /** The file it resolves to (repository-relative, `/` separators), or undefined for a package. */
  readonly target: string | undefined;
  /** Erased by TypeScript: no load-time dependency. */
  readonly typeOnly: boolean;
  /** `import('...')`: loaded when that code runs, not when the module loads. */
  readonly dynamic: boolean;
  readonly line: number;
}

const SOURCE = /\.(ts|mts|js|mjs)$/;

export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(toRepoPath(root, p));
    }
  };
  for (const f of folders) walk(join(root, f));
  return out.sort();
}

function toRepoPath(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}

// `import x from '...'`, `import { a, type B } from '...'`, `import type X from '...'`,
// `export { a } from '...'`, `export * from '...'`, `export type { T } from '...'`, `import '...'`.
const STATIC = new RegExp(
  [
    String.raw`(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]`,
    String.raw`(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]`,
  ].join('|'),
  'g',
);
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Block and line comments blanked out (newlines kept, so line numbers hold). */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (m, pre: string) => pre + ' '.repeat(m.length - pre.length));
}

function allNamesAreTypes(clause: string): boolean {
  const braces = /\{([^}]*)\}/.exec(clause);
  if (!braces) return false;
  // A default or namespace import beside the braces is a value.
  if (clause.slice(0, braces.index).replace(/[\s,]/g, '') !== '') return false;
  const names = braces[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export function importsOf(root: string, file: string): ImportEdge[] {
  const text = withoutComments(readFileSync(join(root, file), 'utf8'));
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, dynamic: boolean, index: number): void => {
    const target = resolveSpecifier(root, file, specifier);
    edges.push({ specifier, target, typeOnly, dynamic, line: lineOf(text, index) });
  };
  for (const m of text.matchAll(STATIC)) {
    // The match starts at the separator before the keyword; the line is the keyword's.
    const at = m.index + m[0].search(/import|export/);
    if (m[5] !== undefined) add(m[5], false, false, at);
    else add(m[4]!, m[2] !== undefined || allNamesAreTypes(m[3] ?? ''), false, at);
  }
  for (const m of text.matchAll(DYNAMIC)) {
    // `typeof import('./x.ts')` names a module's type: erased like an `import type`.
    const typeOnly = /\btypeof\s*$/.test(text.slice(Math.max(0, m.index - 16), m.index));
    add(m[1]!, typeOnly, true, m.index);
  }
  return edges;
}

function resolveSpecifier(root: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const abs = resolve(join(root, dirname(file)), specifier);
  // Sources import `./x.ts` (allowImportingTsExtensions); a `.js` specifier means the `.ts` beside it.
  const candidates = [abs, abs.replace(/\.js$/, '.ts'), abs.replace(/\.mjs$/, '.mts'), `${abs}.ts`];
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return toRepoPath(root, c);
    } catch {
      // not this one
    }
  }
  return toRepoPath(root, abs);
}

export type Graph = ReadonlyMap<string, readonly ImportEdge[]>;

export function importGraph(root: string, folders: readonly string[]): Graph {
  const g = new Map<string, ImportEdge[]>();
  for (const f of sourceFiles(root, folders)) g.set(f, importsOf(root, f));
  return g;
}

/**
 * The cycles of the graph over the edges `keep` lets through: one per strongly connected
 * component of more than one module (or a module importing itself), written as the path
 * `a → b → … → a` through it.
 */
export function importCycles(g: Graph, keep: (e: ImportEdge) => boolean): string[][] {
  const next = (f: string): string[] =>
    (g.get(f) ?? []).filter((e) => keep(e) && e.target !== undefined && g.has(e.target)).map((e) => e.target!);
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || next(v).includes(v)) components.push(c.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return components.map((c) => cyclePath(c, next));
}

/** One closed path through a strongly connected component, from its first module back to it. */
function cyclePath(component: string[], next: (f: string) => string[]): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  // Breadth-first from start's successors back to start: the shortest cycle through start.
  const prev = new Map<string, string>();
  const queue = next(start).filter((w) => inside.has(w));
  for (const w of queue) prev.set(w, start);
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    if (v === start) break;
    for (const w of next(v)) {
      if (inside.has(w) && !prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  let v = prev.get(start);
  while (v !== undefined && v !== start) {
    path.push(v);
    v = prev.get(v);
  }
  return [start, ...path.slice(1).reverse(), start];
}

/** Every module reachable from `from` over the edges `keep` lets through (the modules themselves included). */
export function reachable(g: Graph, from: readonly string[], keep: (e: ImportEdge) => boolean): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const e of g.get(f) ?? []) if (keep(e) && e.target !== undefined && g.has(e.target)) todo.push(e.target);
  }
  return seen;
}
