/**
 * Figures about lib/'s shape, read with the TypeScript compiler API: its import graph (static,
 * dynamic and type-only imports all count), the cycles in it, the longest functions, and the
 * names lib/index.ts exports. `node scripts/code-shape.ts` prints them; the import-graph test
 * uses the same functions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir`, relative to the repository root. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** file → the files under lib/ it imports (relative imports only; packages are leaves). */
export function importGraph(dir = 'lib'): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(dir)) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative enough for a tree of a few hundred files.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}

export interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** Every function-like node in the files, with its length in lines (signature to closing brace). */
export function functionSizes(files: string[]): FunctionSize[] {
  const out: FunctionSize[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const walk = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        out.push({ file, name: functionName(node), line: start + 1, lines: end - start + 1 });
      }
      ts.forEachChild(node, walk);
    };
    walk(source);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

function functionName(node: ts.Node): string {
  const named = (node as { name?: ts.Node }).name;
  if (named && ts.isIdentifier(named)) return named.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

/** The names a module exports, following `export *` (as the type checker sees them). */
export function exportedNames(file: string): string[] {
  const program = ts.createProgram([join(ROOT, file)], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(ROOT, file));
  const symbol = source && checker.getSymbolAtLocation(source);
  return symbol ? checker.getExportsOfModule(symbol).map((s) => s.name).sort() : [];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = tsFiles('lib');
  const lines = files.reduce((n, f) => n + readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1, 0);
  const graph = importGraph('lib');
  const cycles = importCycles(graph);
  const sizes = functionSizes(files);
  const exportsOfIndex = exportedNames('lib/index.ts');
  console.log(`lib/: ${files.length} files, ${lines} lines`);
  console.log(`lib/index.ts exports ${exportsOfIndex.length} names`);
  console.log(`import cycles: ${cycles.length}`);
  for (const c of cycles) console.log(`  ${c.join(' → ')}`);
  const most = Number(process.argv[2] ?? 10);
  console.log(`longest functions:`);
  for (const f of sizes.slice(0, most)) console.log(`  ${String(f.lines).padStart(4)}  ${f.file}:${f.line} ${f.name}`);
}
