import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';

// Generous waits: a busy machine (CI building several apps at once) is slow, not wrong.
configure({ asyncUtilTimeout: 10000 });
vi.setConfig({ testTimeout: 60000 });

// The Amplify libraries are mocked at the module boundary: these tests cover
// this app's components and data code, not Amplify.
const graphql = vi.hoisted(() => vi.fn());
const storage = vi.hoisted(() => ({
  list: vi.fn(),
  uploadData: vi.fn(),
  getUrl: vi.fn(),
  remove: vi.fn(),
}));
vi.mock('aws-amplify/api', () => ({ generateClient: () => ({ graphql }) }));
vi.mock('aws-amplify/storage', () => storage);
vi.mock('@aws-amplify/ui-react', () => ({
  Authenticator: ({ children }: { children: (p: { signOut: () => void; user: { username: string } }) => ReactNode }) =>
    children({ signOut: vi.fn(), user: { username: 'ana@example.com' } }),
}));

import App from './App';
import Todos from './Todos';
import Files from './Files';
import { applyChange } from './todos';

const todo = (id: string, name: string, done = false, createdAt = `2026-01-0${id}T00:00:00Z`) => ({
  __typename: 'Todo',
  id,
  name,
  done,
  description: null,
  createdAt,
  updatedAt: createdAt,
});

type Handlers = { next: (v: unknown) => void; error: (e: unknown) => void };
let subscribers: Record<string, Handlers>;

function backend(items = [todo('1', 'Write docs')]) {
  subscribers = {};
  graphql.mockImplementation(({ query, variables }: { query: string; variables?: { input?: Record<string, unknown> } }) => {
    const op = /^(query|mutation|subscription) (\w+)/.exec(query)?.[2];
    switch (op) {
      case 'ListTodos':
        return Promise.resolve({ data: { listTodos: { items, nextToken: null } } });
      case 'CreateTodo':
        return Promise.resolve({ data: { createTodo: todo('9', String(variables?.input?.name)) } });
      case 'UpdateTodo':
        return Promise.resolve({ data: { updateTodo: { ...items[0], done: variables?.input?.done } } });
      case 'DeleteTodo':
        return Promise.resolve({ data: { deleteTodo: items[0] } });
      default:
        return {
          subscribe: (handlers: Handlers) => {
            subscribers[op ?? ''] = handlers;
            return { unsubscribe: vi.fn() };
          },
        };
    }
  });
}

beforeEach(() => {
  graphql.mockReset();
  Object.values(storage).forEach((f) => f.mockReset());
});
afterEach(cleanup);

describe('App', () => {
  it('shows the todos of the signed-in user, and the files page', async () => {
    backend();
    storage.list.mockResolvedValue({ items: [] });
    render(<App />);
    expect(screen.getByText('ana@example.com')).toBeDefined();
    expect(await screen.findByText('Write docs')).toBeDefined();
    fireEvent.click(screen.getByText('Files'));
    expect(await screen.findByText('No files yet.')).toBeDefined();
  });
});

describe('Todos', () => {
  it('creates, toggles and deletes todos', async () => {
    backend();
    render(<Todos />);
    await screen.findByText('Write docs');
    fireEvent.change(screen.getByLabelText('New todo'), { target: { value: 'Ship it' } });
    fireEvent.click(screen.getByText('Add'));
    expect(await screen.findByText('Ship it')).toBeDefined();
    expect(graphql).toHaveBeenCalledWith(
      expect.objectContaining({ variables: { input: { name: 'Ship it', description: null, done: false } } }),
    );

    fireEvent.click(screen.getAllByRole('checkbox')[0]);
    await waitFor(() => expect((screen.getAllByRole('checkbox')[0] as HTMLInputElement).checked).toBe(true));

    fireEvent.click(screen.getByLabelText('Delete Write docs'));
    await waitFor(() => expect(screen.queryByText('Write docs')).toBeNull());
  });

  it('follows changes from subscriptions', async () => {
    backend([]);
    render(<Todos />);
    await screen.findByText('Nothing to do yet.');
    subscribers.OnCreateTodo.next({ data: { onCreateTodo: todo('5', 'From another tab') } });
    expect(await screen.findByText('From another tab')).toBeDefined();
    subscribers.OnDeleteTodo.next({ data: { onDeleteTodo: todo('5', 'From another tab') } });
    await waitFor(() => expect(screen.queryByText('From another tab')).toBeNull());
    subscribers.OnUpdateTodo.error(new Error('Connection closed'));
    expect((await screen.findByRole('alert')).textContent).toContain('Connection closed');
  });

  it('shows errors instead of swallowing them', async () => {
    graphql.mockImplementation(({ query }: { query: string }) =>
      query.startsWith('query')
        ? Promise.reject({ errors: [{ message: 'Not Authorized to access listTodos on type Query' }] })
        : { subscribe: () => ({ unsubscribe: vi.fn() }) },
    );
    render(<Todos />);
    expect((await screen.findByRole('alert')).textContent).toBe('Not Authorized to access listTodos on type Query');
  });

  it('keeps the list in creation order', () => {
    const list = [todo('1', 'a'), todo('3', 'c')];
    expect(applyChange(list, { kind: 'upsert', todo: todo('2', 'b') }).map((t) => t.name)).toEqual(['a', 'b', 'c']);
    expect(applyChange(list, { kind: 'delete', id: '1' }).map((t) => t.name)).toEqual(['c']);
  });
});

describe('Files', () => {
  it('lists, uploads, downloads and deletes private files', async () => {
    storage.list.mockResolvedValue({ items: [{ path: 'private/id-1/notes.txt', size: 5 }] });
    storage.uploadData.mockReturnValue({ result: Promise.resolve({ path: 'private/id-1/photo.png' }) });
    storage.getUrl.mockResolvedValue({ url: new URL('https://bucket.example/notes.txt') });
    storage.remove.mockResolvedValue({ path: 'private/id-1/notes.txt' });
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    render(<Files />);
    expect(await screen.findByText('notes.txt')).toBeDefined();
    const path = storage.list.mock.calls[0][0].path as (p: { identityId: string }) => string;
    expect(path({ identityId: 'id-1' })).toBe('private/id-1/');

    const file = new File(['hello'], 'photo.png', { type: 'image/png' });
    fireEvent.change(screen.getByLabelText('Upload a file'), { target: { files: [file] } });
    await waitFor(() => expect(storage.uploadData).toHaveBeenCalled());
    const upload = storage.uploadData.mock.calls[0][0];
    expect(upload.path({ identityId: 'id-1' })).toBe('private/id-1/photo.png');
    expect(upload.data).toBe(file);

    fireEvent.click(screen.getByText('Download'));
    await waitFor(() => expect(open).toHaveBeenCalledWith('https://bucket.example/notes.txt', '_blank', 'noopener'));

    fireEvent.click(screen.getByLabelText('Delete notes.txt'));
    await waitFor(() => expect(screen.queryByText('notes.txt')).toBeNull());
  });

  it('shows a failed upload', async () => {
    storage.list.mockResolvedValue({ items: [] });
    storage.uploadData.mockImplementation(() => ({ result: Promise.reject(new Error('Network error')) }));
    render(<Files />);
    await screen.findByText('No files yet.');
    fireEvent.change(screen.getByLabelText('Upload a file'), {
      target: { files: [new File(['x'], 'a.txt')] },
    });
    expect((await screen.findByRole('alert')).textContent).toBe('Network error');
  });
});
