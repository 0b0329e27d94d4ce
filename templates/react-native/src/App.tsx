import { StatusBar } from 'expo-status-bar';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import type { Category } from './backend';

const LABELS: Record<Category, string> = {
  auth: 'Authentication (Amazon Cognito)',
  data: 'GraphQL API (AWS AppSync)',
  storage: 'File storage (Amazon S3)',
};

const NEXT_STEPS: [string, string][] = [
  ['hoist add auth', 'for sign-up and sign-in'],
  ['hoist add api', 'for a GraphQL API with a database'],
  ['hoist add storage', 'for file uploads'],
];

export default function App({ categories }: { categories: Category[] }) {
  return (
    <ScrollView contentContainerStyle={styles.container}>
      <Text style={styles.title}>Your app is ready</Text>
      {categories.length === 0 ? (
        <View accessibilityLabel="next steps">
          <Text style={styles.text}>No backend yet. Add one from the project folder:</Text>
          {NEXT_STEPS.map(([command, purpose]) => (
            <Text key={command} style={styles.text}>
              <Text style={styles.code}>{command}</Text> {purpose}
            </Text>
          ))}
          <Text style={styles.text}>
            Then run <Text style={styles.code}>hoist push</Text> to deploy it.
          </Text>
        </View>
      ) : (
        <View accessibilityLabel="backend">
          <Text style={styles.text}>Connected backend:</Text>
          {categories.map((category) => (
            <Text key={category} style={styles.text}>
              {LABELS[category]}
            </Text>
          ))}
        </View>
      )}
      <StatusBar style="auto" />
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  container: { flexGrow: 1, padding: 24, paddingTop: 64, backgroundColor: '#f7f9fb' },
  title: { fontSize: 28, fontWeight: '600', marginBottom: 16, color: '#1f2933' },
  text: { fontSize: 16, lineHeight: 24, marginBottom: 8, color: '#1f2933' },
  code: { fontFamily: 'monospace', backgroundColor: '#e4e7eb' },
});
