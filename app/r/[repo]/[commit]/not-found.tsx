import Link from 'next/link';
import { NotFoundDetail } from '@/components/NotFoundDetail';

export default function CommitNotFound() {
  return (
    <div className="space-y-4 py-6">
      <h1 className="text-2xl font-bold">Commit not found</h1>
      <NotFoundDetail />
      <p className="text-sm">
        Nothing was signed. Check the link, or ask for a link to a commit that has been pushed to the repository.
      </p>
      <Link href="/" className="btn-secondary">
        Back to the inbox
      </Link>
    </div>
  );
}
