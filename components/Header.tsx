import Link from 'next/link';
import type { UserView } from '@/lib/server/types';
import { NavLinks } from './NavLinks';

/** The compact top bar: the app's mark and, when signed in, the few places there are. */
export function Header({ user }: { user: UserView | null }) {
  return (
    <header className="sticky top-0 z-20 border-b border-line bg-bg/95 backdrop-blur supports-[backdrop-filter]:bg-bg/85">
      <div className="mx-auto flex max-w-3xl items-center gap-2 px-2 pt-[env(safe-area-inset-top)] sm:px-4">
        <Link href="/" className="flex min-h-11 shrink-0 items-center gap-2 rounded-lg px-2 font-bold" aria-label="Countersign — home">
          <svg aria-hidden="true" viewBox="0 0 24 24" className="size-7">
            <rect width="24" height="24" rx="6" className="fill-accent" />
            <circle cx="12" cy="12" r="7.2" fill="none" strokeWidth="1.4" className="stroke-accent-fg" />
            <path d="M8.8 12.3l2.3 2.3 4.4-4.7" fill="none" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" className="stroke-accent-fg" />
          </svg>
          <span className={user ? 'hidden sm:inline' : ''}>Countersign</span>
        </Link>
        {user && <NavLinks isAdmin={user.isAdmin} />}
      </div>
    </header>
  );
}
