'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { SignOutButton } from './SignOutButton';

// 44-px tall targets; the current page is marked by an accent underline (and aria-current).
const LINK = 'flex min-h-11 items-center border-b-2 px-2.5 text-sm font-medium';

export function NavLinks({ isAdmin }: { isAdmin: boolean }) {
  const path = usePathname();
  const items = [
    { href: '/', label: 'Inbox', active: path === '/' || path.startsWith('/r/') },
    { href: '/devices', label: 'Devices', active: path.startsWith('/devices') },
    ...(isAdmin ? [{ href: '/admin', label: 'Admin', active: path.startsWith('/admin') }] : []),
  ];
  return (
    <nav aria-label="Main" className="ml-auto flex items-center gap-0.5">
      {items.map((i) => (
        <Link
          key={i.href}
          href={i.href}
          aria-current={i.active ? 'page' : undefined}
          className={`${LINK} ${i.active ? 'border-accent text-fg' : 'border-transparent text-muted hover:text-fg'}`}
        >
          {i.label}
        </Link>
      ))}
      <SignOutButton className={`${LINK} border-transparent text-muted hover:text-fg`} />
    </nav>
  );
}
