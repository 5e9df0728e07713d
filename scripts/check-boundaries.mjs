// Architecture boundaries, checked on every test run, type-only imports included: protocol/ imports
// nothing but zod; kinds (workunits/) import protocol/ only; the coordinator and the worker never import
// each other; the page (dashboard/) imports protocol/ and workunits/ only (it runs in a browser, and
// talks to the coordinator over HTTP); product code never imports bench/ or test/. Plus: no import
// cycles (madge, type imports counted too).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The tree to check: this repository, or (for the checker's own test) the folder given as an argument.
const root = process.argv[2] ? resolve(process.argv[2]) : repo;
const TOP = ['protocol', 'workunits', 'coordinator', 'worker', 'cli', 'dashboard', 'bench', 'test'];
const only = (...allowed) => TOP.filter((t) => !allowed.includes(t));
const RULES = {
  protocol: { forbid: only('protocol'), packages: ['zod'] },
  workunits: { forbid: only('workunits', 'protocol') },
  coordinator: { forbid: ['worker', 'cli', 'dashboard', 'bench', 'test'] },
  worker: { forbid: ['coordinator', 'cli', 'dashboard', 'bench', 'test'] },
  dashboard: { forbid: only('dashboard', 'protocol', 'workunits') },
  cli: { forbid: ['bench', 'test'] },
};

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const problems = [];
for (const [top, rule] of Object.entries(RULES)) {
  if (!existsSync(join(root, top))) continue;
  for (const file of files(join(root, top))) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), spec)).split('/')[0];
        if (rule.forbid.includes(target)) problems.push(`${relative(root, file)} imports ${spec} (${top}/ must not import ${target}/)`);
      } else if (rule.packages && !spec.startsWith('node:') && !rule.packages.includes(spec)) {
        problems.push(`${relative(root, file)} imports ${spec} (${top}/ may import only ${rule.packages.join(', ')})`);
      }
    }
  }
}

// A user's clone has nothing beside it: no file of the project may reach outside the repository for data
// (test recordings live in test/fixtures/, with their provenance).
const OUTSIDE = /\.\.\/shared\b|\bshared\/data\b/;
function* projectFiles() {
  const git = spawnSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (git.status === 0) {
    yield* git.stdout.split('\n').filter(Boolean);
    return;
  }
  const walk = function* (dir) {
    for (const name of readdirSync(join(root, dir))) {
      if (['node_modules', 'dist', '.data', '.git'].includes(name)) continue;
      const rel = dir ? `${dir}/${name}` : name;
      if (statSync(join(root, rel)).isDirectory()) yield* walk(rel);
      else yield rel;
    }
  };
  yield* walk('');
}
for (const rel of projectFiles()) {
  if (rel.startsWith('test/fixtures/') && rel !== 'test/fixtures/README.md') continue;
  let text;
  try {
    text = readFileSync(join(root, rel), 'utf8');
  } catch {
    continue;
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (OUTSIDE.test(line)) problems.push(`${rel}:${i + 1} reaches outside the repository for data (copy what is needed into test/fixtures/)`);
  });
}

const scanned = ['protocol', 'workunits', 'coordinator', 'worker', 'cli', 'dashboard/web'].filter((d) => existsSync(join(root, d)));
const madge = spawnSync(process.execPath, [join(repo, 'node_modules', 'madge', 'bin', 'cli.js'), '--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', '--no-spinner', ...scanned], { cwd: root, encoding: 'utf8' });
if (madge.status !== 0) problems.push(`import cycles (madge):\n${madge.stdout}${madge.stderr}`);

if (problems.length) {
  console.error(`architecture boundaries broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`boundaries: ok (${Object.keys(RULES).join(', ')}; type imports counted; no import cycles; nothing reads outside the repository)`);
