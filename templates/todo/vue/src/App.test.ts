import { beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';

// Generous waits: a busy machine (CI building several apps at once) is slow, not wrong.
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
vi.mock('@aws-amplify/ui-vue', () => ({
  Authenticator: defineComponent({
    setup(_, { slots }) {
      return () => h('div', slots.default?.({ user: { username: 'ana@example.com' }, signOut: vi.fn() }));
    },
  }),
}));

import App from './App.vue';
import TodoList from './TodoList.vue';
import FileList from './FileList.vue';

const todo = (id: string, name: string, done = false) => ({
  __typename: 'Todo',
  id,
  name,
  done,
  description: null,
  createdAt: `2026-01-0${id}T00:00:00Z`,
  updatedAt: `2026-01-0${id}T00:00:00Z`,
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

describe('App', () => {
  it('shows the todos of the signed-in user, and the files page', async () => {
    backend();
    storage.list.mockResolvedValue({ items: [] });
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.text()).toContain('ana@example.com');
    expect(wrapper.text()).toContain('Write docs');
    await wrapper.findAll('nav button')[1].trigger('click');
    await flushPromises();
    expect(wrapper.text()).toContain('No files yet.');
  });
});

describe('TodoList', () => {
  it('creates, toggles and deletes todos', async () => {
    backend();
    const wrapper = mount(TodoList);
    await flushPromises();
    await wrapper.find('input[aria-label="New todo"]').setValue('Ship it');
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(wrapper.text()).toContain('Ship it');
    expect(graphql).toHaveBeenCalledWith(
      expect.objectContaining({ variables: { input: { name: 'Ship it', description: null, done: false } } }),
    );
    await wrapper.find('input[type="checkbox"]').trigger('change');
    await flushPromises();
    expect((wrapper.find('input[type="checkbox"]').element as HTMLInputElement).checked).toBe(true);
    await wrapper.find('button[aria-label="Delete Write docs"]').trigger('click');
    await flushPromises();
    expect(wrapper.text()).not.toContain('Write docs');
  });

  it('follows changes from subscriptions and reports their errors', async () => {
    backend([]);
    const wrapper = mount(TodoList);
    await flushPromises();
    subscribers.OnCreateTodo.next({ data: { onCreateTodo: todo('5', 'From another tab') } });
    await flushPromises();
    expect(wrapper.text()).toContain('From another tab');
    subscribers.OnDeleteTodo.next({ data: { onDeleteTodo: todo('5', 'From another tab') } });
    await flushPromises();
    expect(wrapper.text()).not.toContain('From another tab');
    subscribers.OnUpdateTodo.error(new Error('Connection closed'));
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toContain('Connection closed');
  });

  it('shows errors instead of swallowing them', async () => {
    graphql.mockImplementation(({ query }: { query: string }) =>
      query.startsWith('query')
        ? Promise.reject({ errors: [{ message: 'Not Authorized to access listTodos on type Query' }] })
        : { subscribe: () => ({ unsubscribe: vi.fn() }) },
    );
    const wrapper = mount(TodoList);
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toBe('Not Authorized to access listTodos on type Query');
  });
});

describe('FileList', () => {
  it('lists, uploads, downloads and deletes private files', async () => {
    storage.list.mockResolvedValue({ items: [{ path: 'private/id-1/notes.txt', size: 5 }] });
    storage.uploadData.mockImplementation(() => ({ result: Promise.resolve({ path: 'private/id-1/photo.png' }) }));
    storage.getUrl.mockResolvedValue({ url: new URL('https://bucket.example/notes.txt') });
    storage.remove.mockResolvedValue({ path: 'private/id-1/notes.txt' });
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    const wrapper = mount(FileList);
    await flushPromises();
    expect(wrapper.text()).toContain('notes.txt');
    expect(storage.list.mock.calls[0][0].path({ identityId: 'id-1' })).toBe('private/id-1/');

    const input = wrapper.find('input[type="file"]');
    const file = new File(['hello'], 'photo.png', { type: 'image/png' });
    Object.defineProperty(input.element, 'files', { value: [file] });
    await input.trigger('change');
    await flushPromises();
    const upload = storage.uploadData.mock.calls[0][0];
    expect(upload.path({ identityId: 'id-1' })).toBe('private/id-1/photo.png');
    expect(upload.data).toBe(file);

    await wrapper.findAll('button').find((b) => b.text() === 'Download')!.trigger('click');
    await flushPromises();
    expect(open).toHaveBeenCalledWith('https://bucket.example/notes.txt', '_blank', 'noopener');

    await wrapper.find('button[aria-label="Delete notes.txt"]').trigger('click');
    await flushPromises();
    expect(wrapper.text()).not.toContain('notes.txt');
  });

  it('shows a failed upload', async () => {
    storage.list.mockResolvedValue({ items: [] });
    storage.uploadData.mockImplementation(() => ({ result: Promise.reject(new Error('Network error')) }));
    const wrapper = mount(FileList);
    await flushPromises();
    const input = wrapper.find('input[type="file"]');
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], 'a.txt')] });
    await input.trigger('change');
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toBe('Network error');
  });
});
