// One's first and last name.
import { useEffect, useState, type FormEvent } from 'react';
import { useUpdateMe } from '../api/account';
import { useMe } from '../app/auth';
import { ErrorNote, Field } from '../ui/kit';

export function NameForm() {
  const me = useMe();
  const update = useUpdateMe();
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  useEffect(() => {
    if (me.data) {
      setFirst(me.data.first_name ?? '');
      setLast(me.data.last_name ?? '');
    }
  }, [me.data]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ first_name: first, last_name: last });
  };

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Your name">
      <Field label="First name">{(id) => <input id={id} autoComplete="given-name" value={first} onChange={(e) => setFirst(e.target.value)} />}</Field>
      <Field label="Last name">{(id) => <input id={id} autoComplete="family-name" value={last} onChange={(e) => setLast(e.target.value)} />}</Field>
      <button type="submit" disabled={update.isPending}>
        Save name
      </button>
      {update.isSuccess && (
        <span className="ok" role="status">
          Saved.
        </span>
      )}
      <ErrorNote error={update.error} />
    </form>
  );
}
