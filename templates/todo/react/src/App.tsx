import { useState } from 'react';
import { Authenticator } from '@aws-amplify/ui-react';
import '@aws-amplify/ui-react/styles.css';
import Todos from './Todos';
import Files from './Files';

type Page = 'todos' | 'files';

/** Signed-in users see their todos and files; everyone else the Authenticator. */
export default function App() {
  return (
    <Authenticator loginMechanisms={['email']}>
      {({ signOut, user }) => <Home who={user?.signInDetails?.loginId ?? user?.username ?? ''} signOut={signOut} />}
    </Authenticator>
  );
}

export function Home({ who, signOut }: { who: string; signOut?: () => void }) {
  const [page, setPage] = useState<Page>('todos');
  return (
    <main className="app">
      <header className="bar">
        <nav aria-label="pages">
          <button aria-pressed={page === 'todos'} onClick={() => setPage('todos')}>
            Todos
          </button>
          <button aria-pressed={page === 'files'} onClick={() => setPage('files')}>
            Files
          </button>
        </nav>
        <span className="who">{who}</span>
        <button onClick={signOut}>Sign out</button>
      </header>
      {page === 'todos' ? <Todos /> : <Files />}
    </main>
  );
}
