import type { Category } from './backend';

const LABELS: Record<Category, string> = {
  auth: 'Authentication (Amazon Cognito)',
  data: 'GraphQL API (AWS AppSync)',
  storage: 'File storage (Amazon S3)',
};

export default function App({ categories }: { categories: Category[] }) {
  return (
    <main className="app">
      <h1>Your app is ready</h1>
      {categories.length === 0 ? (
        <section aria-label="next steps">
          <p>No backend yet. Add one from the project folder:</p>
          <ul>
            <li>
              <code>hoist add auth</code> for sign-up and sign-in
            </li>
            <li>
              <code>hoist add api</code> for a GraphQL API with a database
            </li>
            <li>
              <code>hoist add storage</code> for file uploads
            </li>
          </ul>
          <p>
            Then run <code>hoist push</code> to deploy it.
          </p>
        </section>
      ) : (
        <section aria-label="backend">
          <p>Connected backend:</p>
          <ul>
            {categories.map((category) => (
              <li key={category}>{LABELS[category]}</li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
