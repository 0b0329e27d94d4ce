import { useState } from 'react';
import { StatusBar } from 'expo-status-bar';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { SafeAreaProvider, SafeAreaView } from 'react-native-safe-area-context';
import { Authenticator, useAuthenticator } from '@aws-amplify/ui-react-native';
import Todos from './Todos';
import Files from './Files';
import { styles as shared } from './styles';

/** Signed-in users see their todos and files; everyone else the Authenticator. */
export default function App() {
  return (
    <SafeAreaProvider>
      <Authenticator.Provider>
        <Authenticator loginMechanisms={['email']}>
          <Home />
        </Authenticator>
      </Authenticator.Provider>
    </SafeAreaProvider>
  );
}

export function Home() {
  const { user, signOut } = useAuthenticator((context) => [context.user]);
  const [page, setPage] = useState<'todos' | 'files'>('todos');
  return (
    <SafeAreaView style={styles.screen}>
      <View style={styles.bar}>
        {(['todos', 'files'] as const).map((p) => (
          <Pressable key={p} accessibilityRole="tab" accessibilityState={{ selected: page === p }} onPress={() => setPage(p)}>
            <Text style={[styles.tab, page === p && styles.selected]}>{p === 'todos' ? 'Todos' : 'Files'}</Text>
          </Pressable>
        ))}
        <Text style={styles.who} numberOfLines={1}>
          {user?.signInDetails?.loginId ?? user?.username}
        </Text>
        <Pressable accessibilityRole="button" onPress={signOut}>
          <Text style={shared.link}>Sign out</Text>
        </Pressable>
      </View>
      {page === 'todos' ? <Todos /> : <Files />}
      <StatusBar style="auto" />
    </SafeAreaView>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: '#f7f9fb' },
  bar: { flexDirection: 'row', alignItems: 'center', gap: 16, paddingHorizontal: 24, paddingVertical: 12 },
  tab: { fontSize: 16, color: '#52606d' },
  selected: { color: '#1f2933', fontWeight: '600' },
  who: { flex: 1, textAlign: 'right', color: '#52606d' },
});
