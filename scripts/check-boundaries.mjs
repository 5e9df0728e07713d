// Architecture boundaries, checked on every test run: protocol/ imports only zod; kinds (workunits/)
// import neither the coordinator nor the worker; the coordinator never imports the worker, nor the
// worker the coordinator; product code never imports bench/ or test/. Plus: no import cycles (madge).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RULES = {
  protocol: { forbid: ['coordinator', 'worker', 'workunits', 'cli', 'dashboard', 'bench', 'test'], packages: ['zod'] },
  workunits: { forbid: ['coordinator', 'worker', 'cli', 'dashboard', 'bench', 'test'] },
  coordinator: { forbid: ['worker', 'cli', 'bench', 'test'] },
  worker: { forbid: ['coordinator', 'cli', 'dashboard', 'bench', 'test'] },
  cli: { forbid: ['bench', 'test'] },
};

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

const problems = [];
for (const [top, rule] of Object.entries(RULES)) {
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

const madge = spawnSync(process.execPath, [join(root, 'node_modules', 'madge', 'bin', 'cli.js'), '--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', '--no-spinner', 'protocol', 'workunits', 'coordinator', 'worker', 'cli'], { cwd: root, encoding: 'utf8' });
if (madge.status !== 0) problems.push(`import cycles (madge):\n${madge.stdout}${madge.stderr}`);

if (problems.length) {
  console.error(`architecture boundaries broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('boundaries: ok (protocol, workunits, coordinator, worker, cli; no import cycles; nothing reads outside the repository)');
