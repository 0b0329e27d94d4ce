import { useState, type FormEvent } from 'react';
import { useTodos } from './useTodos';

export default function Todos() {
  const { todos, loading, error, add, toggle, remove } = useTodos();
  const [name, setName] = useState('');

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (await add(name)) setName('');
  }

  return (
    <section aria-label="todos">
      <h1>My todos</h1>
      <form onSubmit={onSubmit}>
        <input aria-label="New todo" placeholder="What needs doing?" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={!name.trim()}>
          Add
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
      {loading ? (
        <p>Loading…</p>
      ) : todos.length === 0 ? (
        <p>Nothing to do yet.</p>
      ) : (
        <ul className="items">
          {todos.map((todo) => (
            <li key={todo.id}>
              <label>
                <input type="checkbox" checked={!!todo.done} onChange={() => void toggle(todo)} />
                <span className={todo.done ? 'done' : undefined}>{todo.name}</span>
              </label>
              <button aria-label={`Delete ${todo.name}`} onClick={() => void remove(todo)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
