import { useEffect, useState } from 'react';
import { FlatList, Pressable, Switch, Text, TextInput, View } from 'react-native';
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
import { styles } from './styles';

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

  const add = () =>
    run(async () => {
      const todo = await addTodo(name);
      setTodos((list) => applyChange(list, { kind: 'upsert', todo }));
      setName('');
    });

  return (
    <View style={styles.page}>
      <Text style={styles.title}>My todos</Text>
      <View style={styles.row}>
        <TextInput
          style={styles.input}
          accessibilityLabel="New todo"
          placeholder="What needs doing?"
          value={name}
          onChangeText={setName}
          onSubmitEditing={add}
        />
        <Pressable accessibilityRole="button" disabled={!name.trim()} onPress={add}>
          <Text style={styles.link}>Add</Text>
        </Pressable>
      </View>
      {error && (
        <Text accessibilityRole="alert" style={styles.error}>
          {error}
        </Text>
      )}
      {loading ? (
        <Text style={styles.muted}>Loading…</Text>
      ) : todos.length === 0 ? (
        <Text style={styles.muted}>Nothing to do yet.</Text>
      ) : (
        <FlatList
          data={todos}
          keyExtractor={(todo) => todo.id}
          renderItem={({ item: todo }) => (
            <View style={styles.row}>
              <Switch
                accessibilityLabel={`Done: ${todo.name}`}
                value={!!todo.done}
                onValueChange={(done) =>
                  run(async () => {
                    const updated = await setDone(todo.id, done);
                    setTodos((list) => applyChange(list, { kind: 'upsert', todo: updated }));
                  })
                }
              />
              <Text style={[styles.grow, todo.done ? styles.done : null]}>{todo.name}</Text>
              <Pressable
                accessibilityRole="button"
                accessibilityLabel={`Delete ${todo.name}`}
                onPress={() =>
                  run(async () => {
                    await removeTodo(todo.id);
                    setTodos((list) => applyChange(list, { kind: 'delete', id: todo.id }));
                  })
                }
              >
                <Text style={styles.link}>Delete</Text>
              </Pressable>
            </View>
          )}
        />
      )}
    </View>
  );
}
