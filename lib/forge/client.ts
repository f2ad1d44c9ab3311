import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { ForgeConfig } from '../config/forge';
import type { WantedStatus } from './outbox';

/**
 * Posting a commit status to the forge's REST API with @octokit/rest: GitHub, or Forgejo/Gitea
 * whose `POST /repos/{owner}/{repo}/statuses/{sha}` takes the same body (their `apiUrl` ends in
 * /api/v1). Authenticated with a token, or on GitHub as a GitHub App installation.
 */

/** How long one request may take before it counts as a failure (then retried with backoff). */
export const REQUEST_TIMEOUT_MS = 15_000;

const clients = new WeakMap<ForgeConfig, Octokit>();

function clientFor(forge: ForgeConfig): Octokit {
  let c = clients.get(forge);
  if (!c) {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    c = forge.app
      ? new Octokit({
          baseUrl: forge.apiUrl,
          authStrategy: createAppAuth,
          auth: { appId: forge.app.appId, privateKey: forge.app.privateKey, installationId: forge.app.installationId },
          log: quiet,
        })
      : new Octokit({ baseUrl: forge.apiUrl, auth: forge.token ?? undefined, log: quiet });
    clients.set(forge, c);
  }
  return c;
}

/** Can statuses be posted for this forge at all (a token or App credentials are configured)? */
export function canPostStatuses(forge: ForgeConfig): boolean {
  return !!forge.token || !!forge.app;
}

/** Posts one status; throws (a network failure, an HTTP error) so that the sender retries. */
export async function postCommitStatus(forge: ForgeConfig, s: Pick<WantedStatus, 'sha' | 'state' | 'description' | 'targetUrl'>): Promise<void> {
  const [owner, repo] = forge.repo.split('/');
  await clientFor(forge).rest.repos.createCommitStatus({
    owner,
    repo,
    sha: s.sha,
    state: s.state,
    // GitHub cuts descriptions at 140 characters.
    description: s.description.slice(0, 140),
    target_url: s.targetUrl,
    context: forge.context,
    request: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
  });
}
