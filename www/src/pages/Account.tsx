// The signed-in user's own account: name, password, two-factor login and
// API keys.
import { useMe } from '../app/auth';
import { ApiKeys } from '../account/ApiKeys';
import { MfaPanel } from '../account/MfaPanel';
import { NameForm } from '../account/NameForm';
import { PasswordForm } from '../account/PasswordForm';
import { Page } from '../ui/kit';
import '../admin/admin.css';

export default function Account() {
  const me = useMe();
  return (
    <Page title="Account">
      {me.data && (
        <p className="muted">
          Logged in as <strong>{me.data.username}</strong> ({me.data.role === 'admin' ? 'administrator' : 'user'}).
        </p>
      )}
      <section className="card section" aria-labelledby="acc-name">
        <h2 id="acc-name">Name</h2>
        <NameForm />
      </section>
      <section className="card section" aria-labelledby="acc-password">
        <h2 id="acc-password">Password</h2>
        <PasswordForm />
      </section>
      <section className="card section" aria-labelledby="acc-mfa">
        <h2 id="acc-mfa">Two-factor login</h2>
        <MfaPanel />
      </section>
      <section className="card section" aria-labelledby="acc-keys">
        <h2 id="acc-keys">API keys</h2>
        <p className="muted">A key lets a program use the API as you. Give each program its own, so you can revoke one without the others.</p>
        <ApiKeys userId="me" />
      </section>
    </Page>
  );
}
