#!/usr/bin/env node
/**
 * Builds the one-file CLI: lib/cli bundled by esbuild into dist/countersign.mjs (an ES module, Node 20+),
 * which runs with plain `node` and no node_modules — what a CI job downloads or vendors.
 *
 *   npm run build:cli                       # dist/countersign.mjs
 *   node scripts/build-cli.mjs --outfile F  # elsewhere (the bundle tests build into a temp dir)
 *
 * The bot commands (verify, ci, sign, audit, export, verify-sig) use only node: builtins and our
 * own lib/. The admin commands (invite, request) need the server's store; their loader's module
 * is swapped for a stub that says so (lib/cli/admin-server.bundle.ts). The build fails if any
 * package from node_modules ends up in the bundle, so a new import cannot silently drag in Next,
 * React, PGlite, pg or zod.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUTFILE = join(ROOT, 'dist', 'countersign.mjs');

/** Points lib/cli/admin.ts's `import('./admin-server')` at the stub. */
const adminStub = {
  name: 'countersign-admin-stub',
  setup(b) {
    b.onResolve({ filter: /^\.\/admin-server$/ }, (args) =>
      args.importer.endsWith(join('lib', 'cli', 'admin.ts')) ? { path: join(ROOT, 'lib', 'cli', 'admin-server.bundle.ts') } : undefined,
    );
  },
};

/** Builds the bundle; returns its path, size in bytes and the inputs it holds (relative paths). */
export async function buildCli({ outfile = DEFAULT_OUTFILE, minify = true } = {}) {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    stdin: {
      contents: "import { main } from './lib/cli/main.ts';\nmain(process.argv.slice(2)).then((code) => {\n  process.exitCode = code;\n});\n",
      resolveDir: ROOT,
      sourcefile: 'countersign-entry.ts',
      loader: 'ts',
    },
    outfile,
    bundle: true,
    // CommonJS inside an ES module (the banner gives it `require`): esbuild hoists an ES module's
    // imports of node: built-ins to the top of the file, so `--help` would load crypto and
    // child_process; as require() calls they load only when the command that needs them runs.
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify,
    legalComments: 'none',
    banner: {
      js:
        `#!/usr/bin/env node\n// countersign ${pkg.version}: the one-file CLI (built by scripts/build-cli.mjs from lib/cli). Needs Node 20+, git and ssh-keygen.\n` +
        "import { createRequire as __countersignRequire } from 'node:module';\nconst require = __countersignRequire(import.meta.url);",
    },
    define: { COUNTERSIGN_BUNDLE_VERSION: JSON.stringify(pkg.version) },
    plugins: [adminStub],
    metafile: true,
    logLevel: 'warning',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.keys(output.inputs);
  const packages = inputs.filter((p) => p.includes('node_modules/'));
  if (packages.length > 0) {
    throw new Error(`the one-file CLI must not bundle packages from node_modules, but it holds: ${packages.slice(0, 10).join(', ')} (load them lazily from an admin command, see lib/cli/admin.ts)`);
  }
  await chmod(outfile, 0o755);
  return { outfile, bytes: output.bytes, inputs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outfile');
  const outfile = i > 0 ? resolve(process.argv[i + 1]) : DEFAULT_OUTFILE;
  try {
    const r = await buildCli({ outfile });
    console.log(`${relative(process.cwd(), r.outfile) || r.outfile}: ${(r.bytes / 1024).toFixed(1)} KiB, ${r.inputs.length} modules`);
  } catch (e) {
    console.error(`build-cli: ${e.message}`);
    process.exitCode = 1;
  }
}
