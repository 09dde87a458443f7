import type { PageProps } from '../router.tsx';
import { EmptyState, PageHeader } from '../components.tsx';
import { Link } from '../router.tsx';

export function NotFoundPage(_props: PageProps) {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState>
        <p>
          There is nothing at this address. <Link href="/ui">Back to your apps</Link>.
        </p>
      </EmptyState>
    </>
  );
}
