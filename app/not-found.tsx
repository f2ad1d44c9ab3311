import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="space-y-4 py-6">
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link href="/" className="btn-secondary">
        Back to the inbox
      </Link>
    </div>
  );
}
