// The todo list's data: the typed documents `hoist codegen` writes to
// ./graphql, sent with the Amplify client. Live updates come from the
// onCreate/onUpdate/onDelete subscriptions, filtered to the signed-in user.
import { generateClient } from 'aws-amplify/api';
import { createTodo, deleteTodo, updateTodo } from './graphql/mutations';
import type { ListTodosQuery } from './graphql/API';
import { listTodos } from './graphql/queries';
import { onCreateTodo, onDeleteTodo, onUpdateTodo } from './graphql/subscriptions';

export type TodoItem = {
  id: string;
  name: string;
  description?: string | null;
  done?: boolean | null;
  createdAt: string;
};

// One client for the app. It reads the configuration on each request, so it
// may be made before `Amplify.configure` runs.
const client = generateClient();
const api = () => client;

function toItem(todo: TodoItem): TodoItem {
  const { id, name, description, done, createdAt } = todo;
  return { id, name, description, done, createdAt };
}

/** A GraphQL error list, or anything thrown, as one message for the user. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'errors' in error) {
    const errors = (error as { errors?: { message?: string }[] }).errors ?? [];
    const messages = errors.map((e) => e.message).filter(Boolean);
    if (messages.length > 0) return messages.join('; ');
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs one of the pages' actions: clears the last error, then reports this
 * one's failure as a message. Resolves to whether the action succeeded.
 */
export async function attempt(
  action: () => Promise<unknown>,
  report: (message: string | null) => void,
): Promise<boolean> {
  report(null);
  try {
    await action();
    return true;
  } catch (e) {
    report(errorMessage(e));
    return false;
  }
}

/** Every todo of the signed-in user, oldest first, across all pages. */
export async function fetchTodos(): Promise<TodoItem[]> {
  const items: TodoItem[] = [];
  let nextToken: string | null | undefined = undefined;
  do {
    const result: { data: ListTodosQuery } = await api().graphql({
      query: listTodos,
      variables: { limit: 100, nextToken },
    });
    const page = result.data.listTodos;
    for (const todo of page?.items ?? []) {
      if (todo) items.push(toItem(todo));
    }
    nextToken = page?.nextToken;
  } while (nextToken);
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function addTodo(name: string, description?: string): Promise<TodoItem> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('A todo needs a name');
  const result = await api().graphql({
    query: createTodo,
    variables: { input: { name: trimmed, description: description?.trim() || null, done: false } },
  });
  if (!result.data.createTodo) throw new Error('The todo was not created');
  return toItem(result.data.createTodo);
}

export async function setDone(id: string, done: boolean): Promise<TodoItem> {
  const result = await api().graphql({ query: updateTodo, variables: { input: { id, done } } });
  if (!result.data.updateTodo) throw new Error('The todo was not updated');
  return toItem(result.data.updateTodo);
}

export async function removeTodo(id: string): Promise<void> {
  await api().graphql({ query: deleteTodo, variables: { input: { id } } });
}

export type TodoEvents = {
  created: (todo: TodoItem) => void;
  updated: (todo: TodoItem) => void;
  deleted: (id: string) => void;
  error: (message: string) => void;
};

/** Follow changes made anywhere (another tab, another device); returns the stop function. */
export function watchTodos(on: TodoEvents): () => void {
  const fail = (error: unknown) => on.error(errorMessage(error));
  const subscriptions = [
    api()
      .graphql({ query: onCreateTodo })
      .subscribe({
        next: ({ data }) => data.onCreateTodo && on.created(toItem(data.onCreateTodo)),
        error: fail,
      }),
    api()
      .graphql({ query: onUpdateTodo })
      .subscribe({
        next: ({ data }) => data.onUpdateTodo && on.updated(toItem(data.onUpdateTodo)),
        error: fail,
      }),
    api()
      .graphql({ query: onDeleteTodo })
      .subscribe({
        next: ({ data }) => data.onDeleteTodo && on.deleted(data.onDeleteTodo.id),
        error: fail,
      }),
  ];
  return () => subscriptions.forEach((s) => s.unsubscribe());
}

/** A list with one todo added, replaced or removed, kept in creation order. */
export function applyChange(
  todos: TodoItem[],
  change: { kind: 'upsert'; todo: TodoItem } | { kind: 'delete'; id: string },
): TodoItem[] {
  if (change.kind === 'delete') return todos.filter((t) => t.id !== change.id);
  const others = todos.filter((t) => t.id !== change.todo.id);
  return [...others, change.todo].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
