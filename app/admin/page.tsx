import type { Metadata } from 'next';
import Link from 'next/link';
import { InviteForm, TokenForm } from '@/components/AdminForms';
import { currentUser, repositories } from '../_lib/data';

export const metadata: Metadata = { title: 'Admin' };

export default async function AdminPage() {
  const user = await currentUser();
  if (!user) {
    return (
      <div className="space-y-4 py-6">
        <h1 className="text-2xl font-bold">Admin</h1>
        <p>Sign in as an administrator to see this page.</p>
        <Link href="/?next=%2Fadmin" className="btn-primary">
          Sign in
        </Link>
      </div>
    );
  }
  if (!user.isAdmin) {
    return (
      <div className="space-y-4 py-6">
        <h1 className="text-2xl font-bold">Admin</h1>
        <p>Only administrators can invite people and create bot tokens. Ask an administrator if you need one.</p>
      </div>
    );
  }
  const repos = await repositories();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Admin</h1>
      <section aria-labelledby="invite-heading" className="card space-y-3">
        <h2 id="invite-heading" className="text-lg font-semibold">
          Invite someone
        </h2>
        <InviteForm />
      </section>
      <section aria-labelledby="token-heading" className="card space-y-3">
        <h2 id="token-heading" className="text-lg font-semibold">
          Bot tokens
        </h2>
        <p className="text-sm text-muted">A bot with a token can request reviews; it cannot approve.</p>
        <TokenForm />
      </section>
      <section aria-labelledby="repos-heading" className="card space-y-3">
        <h2 id="repos-heading" className="text-lg font-semibold">
          Repositories
        </h2>
        {repos.length === 0 ? (
          <p className="text-sm text-muted">No repositories are configured.</p>
        ) : (
          <ul className="divide-y divide-line">
            {repos.map((r) => (
              <li key={r.name} className="py-2.5">
                <p className="font-medium">{r.name}</p>
                <p className="font-mono text-xs break-all text-muted">{r.remote}</p>
              </li>
            ))}
          </ul>
        )}
        <p className="text-xs text-muted">Repositories are set in the server configuration (see the README).</p>
      </section>
    </div>
  );
}
