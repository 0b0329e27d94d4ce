import { useEffect, useState, type FormEvent } from 'react';
import {
  addTodo,
  applyChange,
  errorMessage,
  fetchTodos,
  removeTodo,
  setDone,
  watchTodos,
  type TodoItem,
} from './todos';

export default function Todos() {
  const [todos, setTodos] = useState<TodoItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');

  useEffect(() => {
    let active = true;
    fetchTodos()
      .then((items) => active && setTodos(items))
      .catch((e: unknown) => active && setError(errorMessage(e)))
      .finally(() => active && setLoading(false));
    const stop = watchTodos({
      created: (todo) => setTodos((list) => applyChange(list, { kind: 'upsert', todo })),
      updated: (todo) => setTodos((list) => applyChange(list, { kind: 'upsert', todo })),
      deleted: (id) => setTodos((list) => applyChange(list, { kind: 'delete', id })),
      error: (message) => setError(`Live updates stopped: ${message}`),
    });
    return () => {
      active = false;
      stop();
    };
  }, []);

  // Each action updates the list from the server's answer, and reports failures.
  async function run(action: () => Promise<void>) {
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const todo = await addTodo(name);
      setTodos((list) => applyChange(list, { kind: 'upsert', todo }));
      setName('');
    });
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
                <input
                  type="checkbox"
                  checked={!!todo.done}
                  onChange={() =>
                    void run(async () => {
                      const updated = await setDone(todo.id, !todo.done);
                      setTodos((list) => applyChange(list, { kind: 'upsert', todo: updated }));
                    })
                  }
                />
                <span className={todo.done ? 'done' : undefined}>{todo.name}</span>
              </label>
              <button
                aria-label={`Delete ${todo.name}`}
                onClick={() =>
                  void run(async () => {
                    await removeTodo(todo.id);
                    setTodos((list) => applyChange(list, { kind: 'delete', id: todo.id }));
                  })
                }
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
