/** `countersign export` of a change's (v2) approvals: stock `ssh-keygen -Y verify` accepts every file it writes. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { createDemoRepo, type DemoRepo } from '../support/demo-repo';
import { makeKey, makeTempDir, run, type KeygenKey } from '../support/ssh-keygen';

let tmp: { dir: string; cleanup: () => Promise<void> };
let demo: DemoRepo;
let bob: KeygenKey;

beforeAll(async () => {
  tmp = await makeTempDir('countersign-landing-export-');
  bob = await makeKey(tmp.dir, 'ed25519', 'bob');
  demo = await createDemoRepo({ signers: [{ principal: 'bob@example.org', publicKey: bob.publicKeyText }], policy: { threshold: 1 } });
});
afterAll(async () => {
  await demo?.cleanup();
  await tmp?.cleanup();
});

it('writes v2 statements (with the base) that ssh-keygen -Y verify accepts; a tampered base is refused', async () => {
  await demo.git(['checkout', '-q', '-b', 'topic']);
  await demo.commit({ 'src/a.txt': 'a\n' }, 'topic: a');
  const head = await demo.commit({ 'src/b.txt': 'b\n' }, 'topic: b');
  const base = await demo.git(['rev-parse', 'main']);
  const signed = await runCli(['sign', '--repo', demo.clone, '--key', bob.privatePath, '--identity', 'bob@example.org', '--no-push', '--base', 'main', head.id]);
  expect(signed.code, signed.stderr).toBe(0);

  const out = join(tmp.dir, 'export');
  const r = await runCli(['export', '--repo', demo.clone, '--no-fetch', head.id, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const statementFile = (await readdir(out)).find((f) => f.endsWith('.statement'))!;
  const statement = await readFile(join(out, statementFile), 'utf8');
  expect(statement.split('\n').slice(0, 5)).toEqual(['countersign review statement v2', 'repository: demo/widgets', `commit: ${head.id}`, `tree: ${head.tree}`, `base: ${base}`]);

  const sh = await run('sh', [join(out, 'verify.sh')]);
  expect(sh.code, sh.stdout + sh.stderr).toBe(0);
  expect(sh.stdout + sh.stderr).toMatch(/Good "countersign-review@countersign.dev" signature for bob@example.org/);

  const sig = join(out, statementFile.replace(/\.statement$/, '.sig'));
  const tampered = statement.replace(`base: ${base}`, `base: ${head.id}`);
  const refused = await run('ssh-keygen', ['-Y', 'verify', '-f', join(out, 'allowed_signers'), '-I', 'bob@example.org', '-n', 'countersign-review@countersign.dev', '-s', sig], tampered);
  expect(refused.code).not.toBe(0);
});
