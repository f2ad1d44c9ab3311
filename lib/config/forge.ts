import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * A repository's forge (GitHub, or Forgejo/Gitea with their GitHub-compatible webhooks and status
 * API): where webhooks come from and where commit statuses go. Secrets are given literally, or by
 * the name of an environment variable (`…Env`) or a file (`…File`, e.g. a mounted secret), so the
 * configuration file itself need hold none.
 */

/** GitHub's "owner/name". */
export const FORGE_REPO_RE = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

const secretRef = {
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
  file: z.string().min(1).optional(),
};

export const forgeSchema = z
  .object({
    type: z.enum(['github', 'forgejo', 'gitea']).default('github'),
    /** The repository on the forge, "owner/name": deliveries for any other repository are refused. */
    repo: z.string().regex(FORGE_REPO_RE, 'expected "owner/name" as the forge spells it'),
    /** The REST API's base: https://api.github.com (default for github), https://codeberg.org/api/v1 … */
    apiUrl: z.string().url().optional(),
    /** The webhook secret (or secretEnv / secretFile). */
    secret: z.string().min(1).optional(),
    secretEnv: secretRef.env,
    secretFile: secretRef.file,
    /** A token allowed to write commit statuses (or tokenEnv / tokenFile). Without one, no status is posted. */
    token: z.string().min(1).optional(),
    tokenEnv: secretRef.env,
    tokenFile: secretRef.file,
    /** GitHub App credentials instead of a token (GitHub only). */
    app: z
      .object({
        appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]),
        installationId: z.number().int().positive(),
        privateKey: z.string().min(1).optional(),
        privateKeyEnv: secretRef.env,
        privateKeyFile: secretRef.file,
      })
      .strict()
      .optional(),
    /** The status context (what branch protection requires). */
    context: z.string().min(1).max(100).default('countersign'),
  })
  .strict();

export type ForgeFileConfig = z.input<typeof forgeSchema>;

export interface ForgeConfig {
  type: 'github' | 'forgejo' | 'gitea';
  repo: string;
  apiUrl: string;
  secret: string;
  token: string | null;
  app: { appId: string; installationId: number; privateKey: string } | null;
  context: string;
}

type Env = Record<string, string | undefined>;

/** Reads one secret from its literal, environment or file form; exactly one must be given. */
function secretValue(what: string, literal: string | undefined, envName: string | undefined, file: string | undefined, env: Env, baseDir: string, required: boolean): string | null {
  const given = [literal !== undefined, envName !== undefined, file !== undefined].filter(Boolean).length;
  if (given > 1) throw new Error(`${what}: give one of ${what}, ${what}Env, ${what}File`);
  if (literal !== undefined) return literal;
  if (envName !== undefined) {
    const v = env[envName];
    if (!v) throw new Error(`${what}Env: the environment variable ${envName} is not set`);
    return v;
  }
  if (file !== undefined) {
    const p = path.resolve(baseDir, file);
    let v: string;
    try {
      v = readFileSync(p, 'utf8').trim();
    } catch (e) {
      throw new Error(`${what}File: cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!v) throw new Error(`${what}File: ${p} is empty`);
    return v;
  }
  if (required) throw new Error(`give ${what} (or ${what}Env, ${what}File)`);
  return null;
}

/** The validated `forge` key of a repository with its secrets read; throws an Error naming the key. */
export function resolveForge(f: z.output<typeof forgeSchema>, env: Env, baseDir: string): ForgeConfig {
  const secret = secretValue('secret', f.secret, f.secretEnv, f.secretFile, env, baseDir, true)!;
  const token = secretValue('token', f.token, f.tokenEnv, f.tokenFile, env, baseDir, false);
  let app: ForgeConfig['app'] = null;
  if (f.app) {
    if (f.type !== 'github') throw new Error('app: GitHub App credentials work with type "github" only; use a token');
    if (token) throw new Error('give a token or app credentials, not both');
    const privateKey = secretValue('privateKey', f.app.privateKey, f.app.privateKeyEnv, f.app.privateKeyFile, env, baseDir, true)!;
    app = { appId: String(f.app.appId), installationId: f.app.installationId, privateKey };
  }
  if (f.type !== 'github' && !f.apiUrl) throw new Error(`apiUrl: give the API base of your ${f.type} (e.g. https://codeberg.org/api/v1)`);
  const apiUrl = (f.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  return { type: f.type, repo: f.repo, apiUrl, secret, token, app, context: f.context };
}
