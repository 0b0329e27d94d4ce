import { act, configure, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import { Linking } from 'react-native';
import type { ReactNode } from 'react';

// Generous waits: a busy machine (CI building several apps at once) is slow, not wrong.
configure({ asyncUtilTimeout: 10000 });
jest.setTimeout(60000);

// The Amplify libraries are mocked at the module boundary: these tests cover
// this app's components and data code, not Amplify or its native modules.
const mockGraphql = jest.fn();
const mockStorage = { list: jest.fn(), uploadData: jest.fn(), getUrl: jest.fn(), remove: jest.fn() };
jest.mock('aws-amplify/api', () => ({
  generateClient: () => ({ graphql: (...args: unknown[]) => mockGraphql(...args) }),
}));
jest.mock('aws-amplify/storage', () => ({
  list: (...args: unknown[]) => mockStorage.list(...args),
  uploadData: (...args: unknown[]) => mockStorage.uploadData(...args),
  getUrl: (...args: unknown[]) => mockStorage.getUrl(...args),
  remove: (...args: unknown[]) => mockStorage.remove(...args),
}));
// The backend setup (Amplify.configure, the sandbox's redirects) is not under test here.
jest.mock('./backend', () => ({ reachableUrl: (url: URL | string) => String(url) }));
// Safe areas come from native code: the library's own mock gives fixed insets.
jest.mock('react-native-safe-area-context', () => require('react-native-safe-area-context/jest/mock').default);
jest.mock('@aws-amplify/ui-react-native', () => {
  const Authenticator = ({ children }: { children: ReactNode }) => children;
  Authenticator.Provider = ({ children }: { children: ReactNode }) => children;
  return {
    Authenticator,
    useAuthenticator: () => ({ user: { username: 'ana@example.com' }, signOut: jest.fn() }),
  };
});

import App from './App';
import Todos from './Todos';
import Files from './Files';

const todo = (id: string, name: string, done = false) => ({
  __typename: 'Todo',
  id,
  name,
  done,
  description: null,
  createdAt: `2026-01-0${id}T00:00:00Z`,
  updatedAt: `2026-01-0${id}T00:00:00Z`,
});

/** Press, then let the handler's awaits and state updates finish. */
async function press(element: Parameters<typeof fireEvent.press>[0]) {
  await act(async () => {
    fireEvent.press(element);
  });
}

type Handlers = { next: (v: unknown) => void; error: (e: unknown) => void };
let subscribers: Record<string, Handlers>;

function backend(items = [todo('1', 'Write docs')]) {
  subscribers = {};
  mockGraphql.mockImplementation(({ query, variables }: { query: string; variables?: { input?: Record<string, unknown> } }) => {
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
            return { unsubscribe: jest.fn() };
          },
        };
    }
  });
}

beforeEach(() => {
  mockGraphql.mockReset();
  Object.values(mockStorage).forEach((f) => f.mockReset());
});

describe('App', () => {
  it('shows the todos of the signed-in user, and the files page', async () => {
    backend();
    mockStorage.list.mockResolvedValue({ items: [] });
    render(<App />);
    expect(screen.getByText('ana@example.com')).toBeTruthy();
    expect(await screen.findByText('Write docs')).toBeTruthy();
    fireEvent.press(screen.getByText('Files'));
    expect(await screen.findByText('No files yet.')).toBeTruthy();
  });
});

describe('Todos', () => {
  it('creates, toggles and deletes todos', async () => {
    backend();
    render(<Todos />);
    await screen.findByText('Write docs');
    fireEvent.changeText(screen.getByLabelText('New todo'), 'Ship it');
    fireEvent.press(screen.getByText('Add'));
    expect(await screen.findByText('Ship it')).toBeTruthy();
    expect(mockGraphql).toHaveBeenCalledWith(
      expect.objectContaining({ variables: { input: { name: 'Ship it', description: null, done: false } } }),
    );
    fireEvent(screen.getByLabelText('Done: Write docs'), 'valueChange', true);
    await waitFor(() => expect(screen.getByLabelText('Done: Write docs').props.value).toBe(true));
    await press(screen.getByLabelText('Delete Write docs'));
    expect(screen.queryByText('Write docs')).toBeNull();
  });

  it('follows changes from subscriptions and reports their errors', async () => {
    backend([]);
    render(<Todos />);
    await screen.findByText('Nothing to do yet.');
    act(() => subscribers.OnCreateTodo.next({ data: { onCreateTodo: todo('5', 'From another device') } }));
    expect(await screen.findByText('From another device')).toBeTruthy();
    act(() => subscribers.OnDeleteTodo.next({ data: { onDeleteTodo: todo('5', 'From another device') } }));
    await waitFor(() => expect(screen.queryByText('From another device')).toBeNull());
    act(() => subscribers.OnUpdateTodo.error(new Error('Connection closed')));
    expect(await screen.findByText('Live updates stopped: Connection closed')).toBeTruthy();
  });

  it('shows errors instead of swallowing them', async () => {
    mockGraphql.mockImplementation(({ query }: { query: string }) =>
      query.startsWith('query')
        ? Promise.reject({ errors: [{ message: 'Not Authorized to access listTodos on type Query' }] })
        : { subscribe: () => ({ unsubscribe: jest.fn() }) },
    );
    render(<Todos />);
    expect(await screen.findByText('Not Authorized to access listTodos on type Query')).toBeTruthy();
  });
});

describe('Files', () => {
  it('lists, uploads, downloads and deletes private files', async () => {
    mockStorage.list.mockResolvedValue({ items: [{ path: 'private/id-1/notes.txt', size: 5 }] });
    mockStorage.uploadData.mockImplementation(() => ({ result: Promise.resolve({ path: 'private/id-1/todo.txt' }) }));
    mockStorage.getUrl.mockResolvedValue({ url: new URL('https://bucket.example/notes.txt') });
    mockStorage.remove.mockResolvedValue({ path: 'private/id-1/notes.txt' });
    const open = jest.spyOn(Linking, 'openURL').mockResolvedValue(true);
    render(<Files />);
    expect(await screen.findByText('notes.txt')).toBeTruthy();
    expect(mockStorage.list.mock.calls[0][0].path({ identityId: 'id-1' })).toBe('private/id-1/');

    fireEvent.changeText(screen.getByLabelText('Note name'), 'todo');
    fireEvent.changeText(screen.getByLabelText('Note text'), 'milk');
    fireEvent.press(screen.getByText('Upload'));
    await waitFor(() => expect(mockStorage.uploadData).toHaveBeenCalled());
    const upload = mockStorage.uploadData.mock.calls[0][0];
    expect(upload.path({ identityId: 'id-1' })).toBe('private/id-1/todo.txt');
    expect(upload.data).toBe('milk');

    fireEvent.press(screen.getByLabelText('Download notes.txt'));
    await waitFor(() => expect(open).toHaveBeenCalledWith('https://bucket.example/notes.txt'));

    await press(screen.getByLabelText('Delete notes.txt'));
    expect(screen.queryByText('notes.txt')).toBeNull();
  });

  it('shows a failed upload', async () => {
    mockStorage.list.mockResolvedValue({ items: [] });
    mockStorage.uploadData.mockImplementation(() => ({ result: Promise.reject(new Error('Network error')) }));
    render(<Files />);
    await screen.findByText('No files yet.');
    fireEvent.changeText(screen.getByLabelText('Note name'), 'a');
    fireEvent.press(screen.getByText('Upload'));
    expect(await screen.findByText('Network error')).toBeTruthy();
  });
});
