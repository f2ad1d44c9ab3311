import type { Metadata } from 'next';
import { CommitForm } from '@/components/CommitForm';
import { InboxList } from '@/components/InboxList';
import { SaveInboxOffline } from '@/components/SaveOffline';
import { SignIn } from '@/components/SignIn';
import { safeNextPath } from '@/lib/ui/safe-next';
import { currentUser, inboxFor, repositories } from './_lib/data';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await currentUser()) ? 'Inbox' : 'Sign in' };
}

export default async function Home({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await currentUser();
  if (!user) {
    const sp = await searchParams;
    const next = safeNextPath(typeof sp.next === 'string' ? sp.next : null);
    return (
      <div className="mx-auto max-w-md space-y-6 py-6">
        <div className="space-y-2">
          <h1 className="text-3xl font-bold">Countersign</h1>
          <p className="text-muted">
            Review a git commit and approve it with your passkey. Your approval becomes an OpenSSH signature stored
            with the repository, checkable by anyone with <code className="font-mono">ssh-keygen</code>.
          </p>
        </div>
        {next !== '/' && <p className="card text-sm">Sign in to continue to the review you opened.</p>}
        <SignIn next={next} />
        <p className="text-sm text-muted">
          New here? Open the invite link an administrator sent you to create your passkey.
        </p>
      </div>
    );
  }
  const [items, repos] = await Promise.all([inboxFor(user), repositories()]);
  const waiting = items.filter((i) => !i.viewerHasSigned).length;
  return (
    <div className="space-y-6">
      <section aria-labelledby="inbox-heading" className="space-y-3">
        <div className="flex items-baseline justify-between gap-3">
          <h1 id="inbox-heading" className="text-2xl font-bold">
            Inbox
          </h1>
          <p className="text-sm text-muted">{waiting === 0 ? 'all caught up' : `${waiting} waiting for you`}</p>
        </div>
        <InboxList items={items} />
        <SaveInboxOffline items={items} />
      </section>
      <CommitForm repos={repos.map((r) => ({ name: r.name }))} />
    </div>
  );
}
