import type { CommandEntry } from './types';

export type { Command, CommandEntry } from './types';

/**
 * Every `countersign <name>` subcommand, in the order --help lists them. A new command is a
 * module in this directory exporting a Command, added here with its one-line summary. Modules
 * load lazily (see CommandEntry): keep this file free of static imports of them.
 */
export const commands: CommandEntry[] = [
  { name: 'sign', summary: 'sign a commit with your SSH key and publish the signature in git notes', load: async () => (await import('./sign')).signCommand },
  { name: 'verify', summary: 'check commits against the policy (threshold of trusted signatures); exit 0 only if all pass', load: async () => (await import('./verify')).verifyCommand },
  { name: 'verify-sig', summary: 'verify one SSH signature like `ssh-keygen -Y verify` (plus passkey flag/origin checks)', load: async () => (await import('./verify-sig')).verifySigCommand },
  { name: 'export', summary: 'write statements, .sig files and allowed_signers so anyone can re-check with ssh-keygen', load: async () => (await import('./export')).exportCommand },
  { name: 'invite', summary: 'print a one-time URL that enrolls a passkey for an e-mail address', load: async () => (await import('./invite')).inviteCommand },
  { name: 'request', summary: "put a commit or a change in reviewers' inboxes and print its review link", load: async () => (await import('./request')).requestCommand },
  { name: 'audit', summary: "prove a branch's history: every first-parent step since a commit covered by approvals", load: async () => (await import('./audit')).auditCommand },
  { name: 'ci', summary: 'the gate for a CI event: a pull request, a push or a merge queue entry (GitHub, Forgejo, GitLab)', load: async () => (await import('./ci')).ciCommand },
];

export function findCommand(name: string): CommandEntry | undefined {
  return commands.find((c) => c.name === name);
}
