/**
 * Architecture rules read from the import graph (test/architecture/importGraph.ts):
 *
 * 1. No import cycles among the modules of src/ and firmware-sim/. Type-only imports count too:
 *    they do not change the load order, but a cycle of types still ties two folders into one
 *    unit that cannot be understood, tested or moved alone (the `lists ↔ fleet` cycle of issue 10
 *    was one). A cycle inside one file's own folder is no exception.
 *    The same holds between folders: no chain of imports leads from one folder of src/ (or
 *    firmware-sim/) back to itself through another.
 * 2. The pure core (src/admission, src/token, src/pricing) does no I/O: no module it loads at run time (its
 *    own and every one they import, transitively) imports a file system, network, database,
 *    broker, serial port or logger module. Type-only imports are allowed (erased). Its direct
 *    package imports are limited to the pure Node built-ins listed below (and zod, in src/pricing;
 *    sm-crypto-v2, in src/token/jtt).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, importsOf, reachable, type ImportEdge } from './importGraph.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const graph = importGraph(ROOT, ['src', 'firmware-sim']);

/** Folders that must stay pure (rule 2). */
const PURE_FOLDERS = ['src/admission/', 'src/token/', 'src/token/jtt/', 'src/pricing/'];
/** Package imports the pure folders may make themselves: computation, no I/O. */
const PURE_BUILTINS = new Set(['node:crypto', 'node:buffer', 'node:util', 'node:assert']);
/**
 * Packages one pure folder may import besides: the fare engine checks its fare file with zod, and
 * the JT/T 1179 format does its SM2 curve arithmetic with sm-crypto-v2 (no I/O in either).
 */
const PURE_PACKAGES_OF: Readonly<Record<string, ReadonlySet<string>>> = {
  'src/pricing/': new Set(['zod']),
  'src/token/jtt/': new Set(['sm-crypto-v2']),
};
const allowedPackage = (file: string, specifier: string): boolean =>
  PURE_BUILTINS.has(specifier) ||
  Object.entries(PURE_PACKAGES_OF).some(([dir, allowed]) => file.startsWith(dir) && allowed.has(specifier));
/** Modules that do I/O; none may be loaded at run time by the pure core, directly or through another module. */
const IO_BUILTINS = 'fs|fs/promises|net|tls|http|https|http2|dgram|dns|child_process|worker_threads|cluster|readline';
const IO_PACKAGES = 'better-sqlite3|mqtt|aedes|serialport|@serialport/.*|pino|pino-pretty|yaml';
const IO_MODULE = new RegExp(`^(node:)?(${IO_BUILTINS})$|^(${IO_PACKAGES})$`);

/**
 * Folder cycles that exist on this branch and are being removed on another (issue 10: `lists ↔
 * fleet`, helper D). An entry here must still be a cycle (the test says when to drop it); the lead
 * empties the list when the branches are merged. Never add to it.
 */
const KNOWN_FOLDER_CYCLES: readonly string[] = [];

/** `src/lists/trustFile.ts` → `src/lists`; `firmware-sim/main.ts` → `firmware-sim`. */
function folderOf(file: string): string {
  return file
    .split('/')
    .slice(0, file.startsWith('src/') ? 2 : 1)
    .join('/');
}

/** The graph of folders: one node per folder, an edge where a module imports one of another folder. */
function folderGraph(): Map<string, ImportEdge[]> {
  const g = new Map<string, ImportEdge[]>();
  for (const [file, edges] of graph) {
    const from = folderOf(file);
    const out = g.get(from) ?? [];
    g.set(from, out);
    for (const e of edges) {
      if (e.target !== undefined && folderOf(e.target) !== from) out.push({ ...e, target: folderOf(e.target) });
    }
  }
  return g;
}

const valueEdge = (e: ImportEdge): boolean => !e.typeOnly;
const anyEdge = (): boolean => true;

describe('the cycle finder', () => {
  const edge = (target: string, typeOnly = false): ImportEdge => ({
    specifier: target,
    target,
    typeOnly,
    dynamic: false,
    line: 1,
  });
  const g = new Map<string, ImportEdge[]>([
    ['a', [edge('b')]],
    ['b', [edge('c', true)]],
    ['c', [edge('a')]],
    ['d', [edge('d')]],
    ['e', [edge('a')]],
  ]);

  it('names each cycle as a closed path, type-only edges counted or not as asked', () => {
    expect(importCycles(g, anyEdge)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['d', 'd'],
    ]);
    expect(importCycles(g, valueEdge)).toEqual([['d', 'd']]);
  });
});

describe('the import reader', () => {
  it('tells value, type-only and dynamic imports apart, and skips comments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-imports-'));
    try {
      writeFileSync(join(dir, 'b.ts'), 'export const b = 1;\n');
      writeFileSync(
        join(dir, 'a.ts'),
        [
          "import { b } from './b.ts';",
          "import type { B } from './b.ts';",
          "import { type B2, type B3 } from './b.ts';",
          "export { b as c } from './b.ts';",
          "// import { x } from './commented.ts';",
          "const later = () => import('./b.ts');",
          "type M = typeof import('./b.ts');",
          "import 'node:fs';",
        ].join('\n'),
      );
      const edges = importsOf(dir, 'a.ts').map((e) => [e.specifier, e.target, e.typeOnly, e.dynamic, e.line]);
      expect(edges).toEqual([
        ['./b.ts', 'b.ts', false, false, 1],
        ['./b.ts', 'b.ts', true, false, 2],
        ['./b.ts', 'b.ts', true, false, 3],
        ['./b.ts', 'b.ts', false, false, 4],
        ['node:fs', undefined, false, false, 8],
        ['./b.ts', 'b.ts', false, true, 6],
        ['./b.ts', 'b.ts', true, true, 7],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the import graph', () => {
  it('reads the project: hundreds of modules, relative imports resolved to files that exist', () => {
    expect(graph.size).toBeGreaterThan(100);
    const unresolved = [...graph].flatMap(([file, edges]) =>
      edges
        .filter((e) => e.target !== undefined && !graph.has(e.target))
        .map((e) => `${file}:${e.line} ${e.specifier}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has no import cycle among the modules of src/ and firmware-sim/ (type-only imports included)', () => {
    const cycles = importCycles(graph, anyEdge).map((c) => c.join(' → '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('has no import cycle between the folders of src/ and firmware-sim/ (type-only imports included)', () => {
    const cycles = importCycles(folderGraph(), anyEdge).map((c) => c.join(' → '));
    const stillKnown = KNOWN_FOLDER_CYCLES.filter((c) => cycles.includes(c));
    expect(stillKnown, 'a known folder cycle is gone: remove it from KNOWN_FOLDER_CYCLES').toEqual(KNOWN_FOLDER_CYCLES);
    const fresh = cycles.filter((c) => !KNOWN_FOLDER_CYCLES.includes(c));
    expect(fresh, `folder import cycles:\n${fresh.join('\n')}`).toEqual([]);
  });
});

describe('the pure core (src/admission, src/token, src/pricing)', () => {
  const core = [...graph.keys()].filter((f) => PURE_FOLDERS.some((d) => f.startsWith(d)));

  it('is in the graph', () => {
    expect(core.some((f) => f.startsWith('src/token/'))).toBe(true);
    expect(core.some((f) => f.startsWith('src/pricing/'))).toBe(true);
    expect(core.some((f) => f.startsWith('src/token/jtt/'))).toBe(true);
  });

  it('imports no package but the pure Node built-ins itself', () => {
    const found = core.flatMap((f) =>
      (graph.get(f) ?? [])
        .filter((e) => !e.typeOnly && e.target === undefined && !allowedPackage(f, e.specifier))
        .map((e) => `${f}:${e.line} imports ${e.specifier}`),
    );
    expect(found).toEqual([]);
  });

  it('loads no I/O module at run time, through any module it imports', () => {
    const loaded = reachable(graph, core, valueEdge);
    const found = [...loaded].flatMap((f) =>
      (graph.get(f) ?? [])
        .filter((e) => !e.typeOnly && e.target === undefined && IO_MODULE.test(e.specifier))
        .map((e) => `${f}:${e.line} imports ${e.specifier}`),
    );
    expect(found).toEqual([]);
  });
});

describe('the faregate verify start', () => {
  // A dynamic import() is deferred to the path that runs it (verify loads the zod schemas only to
  // explain why a list file is unusable), so only static imports count here.
  it('loads neither zod nor pino (the verify command and every module it imports statically)', () => {
    const loaded = reachable(graph, ['src/cli/commands/verify.ts'], (e) => !e.typeOnly && !e.dynamic);
    expect(loaded.size).toBeGreaterThan(10);
    const found = [...loaded].flatMap((f) =>
      (graph.get(f) ?? [])
        .filter((e) => !e.typeOnly && /^(zod|pino|pino-pretty)(\/|$)/.test(e.specifier))
        .map((e) => `${f}:${e.line} imports ${e.specifier}`),
    );
    expect(found).toEqual([]);
  });
});
