import { useState } from 'react';
import { FlatList, Pressable, Switch, Text, TextInput, View } from 'react-native';
import { useTodos } from './useTodos';
import { styles } from './styles';

export default function Todos() {
  const { todos, loading, error, add, toggle, remove } = useTodos();
  const [name, setName] = useState('');

  const submit = async () => {
    if (await add(name)) setName('');
  };

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
          onSubmitEditing={submit}
        />
        <Pressable accessibilityRole="button" disabled={!name.trim()} onPress={submit}>
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
              <Switch accessibilityLabel={`Done: ${todo.name}`} value={!!todo.done} onValueChange={() => void toggle(todo)} />
              <Text style={[styles.grow, todo.done ? styles.done : null]}>{todo.name}</Text>
              <Pressable accessibilityRole="button" accessibilityLabel={`Delete ${todo.name}`} onPress={() => void remove(todo)}>
                <Text style={styles.link}>Delete</Text>
              </Pressable>
            </View>
          )}
        />
      )}
    </View>
  );
}
