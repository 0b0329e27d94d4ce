import { StyleSheet } from 'react-native';

export const styles = StyleSheet.create({
  page: { flex: 1, paddingHorizontal: 24 },
  title: { fontSize: 24, fontWeight: '600', marginVertical: 12, color: '#1f2933' },
  row: { flexDirection: 'row', alignItems: 'center', gap: 12, paddingVertical: 8 },
  input: { flex: 1, borderWidth: 1, borderColor: '#cbd2d9', borderRadius: 6, padding: 8, backgroundColor: '#fff' },
  grow: { flex: 1, color: '#1f2933' },
  done: { textDecorationLine: 'line-through', color: '#7b8794' },
  link: { color: '#0b6e99', fontWeight: '600' },
  error: { color: '#b42318', marginVertical: 8 },
  muted: { color: '#52606d', marginVertical: 8 },
});
