// Not built yet: the issue that builds the UI fills this page in.
import { Page } from '../ui/kit';

export default function Users() {
  return (
    <Page title="Users">
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
