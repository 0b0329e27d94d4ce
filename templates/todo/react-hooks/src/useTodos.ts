// The todo list's state for React and React Native: loaded once, kept live by
// the subscriptions, changed through the actions. Every failure lands in
// `error`, for the page to show.
import { useEffect, useState } from 'react';
import {
  addTodo,
  applyChange,
  attempt,
  errorMessage,
  fetchTodos,
  removeTodo,
  setDone,
  watchTodos,
  type TodoItem,
} from './todos';

export function useTodos() {
  const [todos, setTodos] = useState<TodoItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const upsert = (todo: TodoItem) => setTodos((list) => applyChange(list, { kind: 'upsert', todo }));
  const drop = (id: string) => setTodos((list) => applyChange(list, { kind: 'delete', id }));

  useEffect(() => {
    let active = true;
    fetchTodos()
      .then((items) => active && setTodos(items))
      .catch((e: unknown) => active && setError(errorMessage(e)))
      .finally(() => active && setLoading(false));
    const stop = watchTodos({
      created: upsert,
      updated: upsert,
      deleted: drop,
      error: (message) => setError(`Live updates stopped: ${message}`),
    });
    return () => {
      active = false;
      stop();
    };
  }, []);

  const run = (action: () => Promise<unknown>) => attempt(action, setError);

  return {
    todos,
    loading,
    error,
    add: (name: string) => run(async () => upsert(await addTodo(name))),
    toggle: (todo: TodoItem) => run(async () => upsert(await setDone(todo.id, !todo.done))),
    remove: (todo: TodoItem) =>
      run(async () => {
        await removeTodo(todo.id);
        drop(todo.id);
      }),
  };
}
