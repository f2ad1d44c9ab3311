import { addSignerCommands, ALLOWED_SIGNERS_PATH } from '@/lib/ui/enroll';
import { CopyButton } from './CopyButton';

/** A key's allowed_signers line with Copy, its fingerprint, and how to make it count in a repository. */
export function SignerLine({ line, fingerprint }: { line: string; fingerprint: string }) {
  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm font-medium">allowed_signers line</p>
        <CopyButton text={line} label="Copy allowed_signers line" />
      </div>
      <pre className="overflow-x-auto rounded-lg bg-surface p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all">
        {line}
      </pre>
      <p className="text-sm">
        <span className="text-muted">Key fingerprint</span>
        <br />
        <code className="font-mono text-xs break-all">{fingerprint}</code>
      </p>
    </div>
  );
}

/**
 * The policy.json lines without which no passkey approval counts (the gate's strict default): this
 * server's RP ID and the origin the passkey was created on.
 */
export function policyLinesFor(rpId: string, origin: string): string {
  return `"rpIds": [${JSON.stringify(rpId)}],\n"origins": [${JSON.stringify(origin)}]`;
}

export function AllowedSignersHelp({
  line,
  email,
  deviceName,
  rpId,
  origin,
}: {
  line: string;
  email: string;
  deviceName: string;
  /** This server's WebAuthn RP ID and the page's origin: what the repository's policy.json must name. */
  rpId?: string;
  origin?: string;
}) {
  const cmds = addSignerCommands(line, email, deviceName);
  const policyLines = rpId && origin ? policyLinesFor(rpId, origin) : null;
  return (
    <div className="space-y-3 text-sm">
      <h3 className="text-base font-semibold">Make your approvals count</h3>
      <p>
        A repository trusts the keys listed in its <code className="font-mono">{ALLOWED_SIGNERS_PATH}</code> file.
        Until this line is there, your approvals are recorded but do not count.
      </p>
      <ol className="list-decimal space-y-2 pl-5">
        <li>In a clone of the repository, add the line and commit it:</li>
      </ol>
      <div className="relative">
        <pre className="overflow-x-auto rounded-lg bg-surface p-3 pr-4 font-mono text-xs leading-relaxed">{cmds}</pre>
        <div className="mt-2 flex justify-end">
          <CopyButton text={cmds} label="Copy commands" />
        </div>
      </div>
      <ol start={2} className="list-decimal space-y-2 pl-5">
        <li>Push it and have it merged the way the repository takes changes (someone already trusted should review it).</li>
        <li>
          Check with <code className="font-mono">ssh-keygen -l -f</code> or on the Devices page that the fingerprint
          matches the one shown here.
        </li>
      </ol>
      {policyLines && (
        <div className="space-y-2" data-testid="policy-lines">
          <p>
            Passkey approvals count only where the repository&apos;s <code className="font-mono">.countersign/policy.json</code>{' '}
            names this server. If it does not yet, add these lines to it (same review as above):
          </p>
          <pre className="overflow-x-auto rounded-lg bg-surface p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all">
            {policyLines}
          </pre>
          <div className="flex justify-end">
            <CopyButton text={policyLines} label="Copy policy lines" />
          </div>
        </div>
      )}
    </div>
  );
}
