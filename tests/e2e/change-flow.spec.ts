import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { expect, newPersonPage, test } from './support/fixtures';
import { cloneDemo, countersign, createPasskey, git, invite, remoteNoteLines, scratchDir, snap, trustSigners } from './support/app';
import { addVirtualPasskey } from './support/passkey';

/**
 * A pull request as reviewers meet it: a topic branch of three commits, opened from a link that
 * names the branch against `main`. The page pins the base (the merge-base, a full id), lists the
 * three commits, shows one combined diff and says what an approval covers; two reviewers approve
 * with their passkeys; the maintainer lands it with `git merge --no-ff`; and the CI gate
 * (`countersign verify` on the merge commit) accepts it, because the approvals carry over.
 */


async function enroll(page: Page, email: string, device: string): Promise<string> {
  return createPasskey(page, await invite(email), email, device);
}

async function approve(page: Page) {
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByRole('status').getByRole('listitem')).toHaveText([/Signed$/, /Saved$/, /Published$/]);
}

/** Three commits by Tess on a new branch off main, pushed to the demo remote; returns them oldest first and the fork point. */
async function pushTopic(dir: string, branch: string, project: string): Promise<{ commits: string[]; forkPoint: string }> {
  const clone = await cloneDemo(dir);
  const forkPoint = (await git(['rev-parse', 'HEAD'], clone)).trim();
  await git(['checkout', '--quiet', '-b', branch], clone);
  const files: Array<[string, string, string]> = [
    ['src/farewell.js', 'export function farewell(name) {\n  return `Goodbye, ${name}!`;\n}\n', 'Add a farewell'],
    ['src/http/server.js', "import http from 'node:http';\nimport { greet } from '../greet.js';\nimport { farewell } from '../farewell.js';\n\nhttp\n  .createServer((req, res) => {\n    const url = new URL(req.url, 'http://x');\n    const name = url.searchParams.get('name') ?? 'world';\n    res.setHeader('content-type', 'text/plain; charset=utf-8');\n    res.end(url.pathname === '/bye' ? farewell(name) : greet(name));\n  })\n  .listen(Number(process.env.PORT ?? 8080));\n", 'Say goodbye on /bye'],
    ['docs/farewell.md', '# Farewell\n\n`GET /bye?name=Ada` answers "Goodbye, Ada!".\n', 'Document /bye'],
  ];
  for (const [file, content, title] of files) {
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    // Each project's change differs from the one the other project already merged.
    writeFileSync(path.join(clone, file), `${content}${file.endsWith('.md') ? '\n' : '// '}${project}\n`);
    await git(['add', file], clone);
    await git(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--author=Tess Topic <tess@demo.countersign.dev>', '-m', title], clone);
  }
  await git(['push', '--quiet', 'origin', branch], clone);
  const commits = (await git(['rev-list', '--reverse', `${forkPoint}..${branch}`], clone)).trim().split('\n');
  return { commits, forkPoint };
}

test('a three-commit change: reviewed on the phone, approved by two, merged, and the merge passes the gate', async ({ page, browser }, testInfo: TestInfo) => {
  const project = testInfo.project.name;
  const ann = `ann.change.${project}@e2e.test`;
  const ben = `ben.change.${project}@e2e.test`;
  const tmp = scratchDir(`change-${project}`);
  try {
    const { commits, forkPoint } = await pushTopic(path.join(tmp.dir, 'topic'), `topic-${project}`, project);
    const head = commits[2];

    await addVirtualPasskey(page);
    const annLine = await enroll(page, ann, 'Ann phone');
    const benPage = await newPersonPage(browser, testInfo);
    await addVirtualPasskey(benPage);
    const benLine = await enroll(benPage, ben, 'Ben phone');
    // A maintainer trusts both keys: main moves on, so the change's base is no longer main's tip.
    await trustSigners([annLine, benLine], `countersign: trust ${ann} and ${ben}`);

    const pinned = `/r/demo/${head}?base=${forkPoint}&from=main`;
    const here = (p: Page) => new URL(p.url()).pathname + new URL(p.url()).search;
    await test.step('Ann asks for reviews of the branch against main from her inbox', async () => {
      await page.goto('/');
      await page.getByLabel('Commit id or branch').fill(`topic-${project}`);
      await page.getByLabel(/^Base/).fill('main');
      await page.getByRole('button', { name: 'Request review' }).click();
      await expect(page).toHaveURL((u) => u.pathname + u.search === pinned);
      await page.goto('/');
      const item = page.locator(`a[href="${pinned}"]`);
      await expect(item).toContainText('Document /bye');
      await expect(item).toContainText('3 commits from main');
    });

    await test.step('abbreviated ids and branch names in links redirect to the full id', async () => {
      await page.goto(`/r/demo/${commits[0].slice(0, 8)}`);
      expect(here(page)).toBe(`/r/demo/${commits[0]}`);
      await page.goto(`/r/demo/topic-${project}`);
      expect(here(page)).toBe(`/r/demo/${head}`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Document /bye');
      await page.goto(`/r/demo/${head}?base=no-such-branch`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('This change cannot be shown');
      await expect(page.getByText(/neither a commit nor a branch/)).toBeVisible();
    });

    await test.step('the link names the branch and an abbreviated head; the page pins both to full ids', async () => {
      await page.goto(`/r/demo/${head.slice(0, 10)}?base=main`);
      expect(here(page)).toBe(pinned);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Document /bye');
      await expect(page.getByText('Change of 3 commits')).toBeVisible();
      const list = page.getByRole('list', { name: 'Commits in this change' }).getByRole('listitem');
      await expect(list).toHaveCount(3);
      await expect(list.nth(0)).toContainText('Add a farewell');
      await expect(list.nth(0)).toContainText(`Tess Topic · ${commits[0].slice(0, 12)}`);
      await expect(list.nth(1)).toContainText('Say goodbye on /bye');
      await expect(list.nth(2)).toContainText('Document /bye');
      // One combined diff: every file of the three commits.
      for (const f of ['src/farewell.js', 'src/http/server.js', 'docs/farewell.md']) await expect(page.getByLabel(`Diff of ${f}`)).toBeVisible();
      await expect(page.getByText(`You approve 3 commits from ${forkPoint.slice(0, 7)} to ${head.slice(0, 7)}`)).toBeVisible();
      await expect(page.getByText('No one has approved this change yet.')).toBeVisible();
      await snap(page, testInfo, '20-change-review');
      await snap(page, testInfo, '20b-change-review-full', { fullPage: true });
      await page.getByText('What you sign').click();
      const statement = page.locator('pre').filter({ hasText: /^countersign review statement v2/ });
      await expect(statement).toContainText(`commit: ${head}\n`);
      await expect(statement).toContainText(`base: ${forkPoint}\n`);
    });

    await test.step('Ann and Ben approve the change', async () => {
      await approve(page);
      await expect(page.getByRole('status')).toContainText('You approved this change on');
      await benPage.goto(pinned);
      await approve(benPage);
      await expect(benPage.getByText('2 of 2 approvals — policy met')).toBeVisible();
      await snap(benPage, testInfo, '21-change-approved');
      const lines = await remoteNoteLines(head);
      expect(lines).toHaveLength(2);
      for (const l of lines) expect(l).toMatch(new RegExp(`^countersign-v2 approve \\S+ \\S+ ${forkPoint} `));
    });

    await test.step('the maintainer merges it with --no-ff; countersign verify passes on the merge commit', async () => {
      const clone = await cloneDemo(path.join(tmp.dir, 'land'));
      await git(['fetch', '--quiet', 'origin', `topic-${project}`], clone);
      await git(['-c', 'commit.gpgsign=false', 'merge', '--quiet', '--no-ff', '-m', `Merge topic-${project}`, 'FETCH_HEAD'], clone);
      const merge = (await git(['rev-parse', 'HEAD'], clone)).trim();
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
      const bot = await cloneDemo(path.join(tmp.dir, 'bot'));
      const verify = await countersign(['verify', '--repo', bot, '--json', merge]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      expect(JSON.parse(verify.stdout).ok).toBe(true);
      expect(verify.stdout).toContain(head);
    });

    await benPage.context().close();
  } finally {
    tmp.remove();
  }
});
