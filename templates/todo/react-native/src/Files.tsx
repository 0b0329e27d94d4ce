import { useState } from 'react';
import { FlatList, Linking, Pressable, Text, TextInput, View } from 'react-native';
import { useFiles } from './useFiles';
import { styles } from './styles';

/**
 * The user's private files. This starter uploads text notes, which need no
 * native picker; add `expo-document-picker` to upload files from the device.
 */
export default function Files() {
  const { files, loading, progress, error, upload, download, remove } = useFiles();
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const uploading = progress !== null;

  const submit = async () => {
    if (await upload(name.endsWith('.txt') ? name : `${name}.txt`, text)) {
      setName('');
      setText('');
    }
  };

  return (
    <View style={styles.page}>
      <Text style={styles.title}>My files</Text>
      <View style={styles.row}>
        <TextInput style={styles.input} accessibilityLabel="Note name" placeholder="Name" value={name} onChangeText={setName} />
      </View>
      <View style={styles.row}>
        <TextInput style={styles.input} accessibilityLabel="Note text" placeholder="Text" value={text} onChangeText={setText} multiline />
        <Pressable accessibilityRole="button" disabled={uploading || !name.trim()} onPress={submit}>
          <Text style={styles.link}>{uploading ? 'Uploading…' : 'Upload'}</Text>
        </Pressable>
      </View>
      {error && (
        <Text accessibilityRole="alert" style={styles.error}>
          {error}
        </Text>
      )}
      {loading ? (
        <Text style={styles.muted}>Loading…</Text>
      ) : files.length === 0 ? (
        <Text style={styles.muted}>No files yet.</Text>
      ) : (
        <FlatList
          data={files}
          keyExtractor={(file) => file.path}
          renderItem={({ item: file }) => (
            <View style={styles.row}>
              <Text style={styles.grow}>{file.name}</Text>
              <Pressable
                accessibilityRole="button"
                accessibilityLabel={`Download ${file.name}`}
                onPress={() => void download(file, (url) => Linking.openURL(url))}
              >
                <Text style={styles.link}>Download</Text>
              </Pressable>
              <Pressable accessibilityRole="button" accessibilityLabel={`Delete ${file.name}`} onPress={() => void remove(file)}>
                <Text style={styles.link}>Delete</Text>
              </Pressable>
            </View>
          )}
        />
      )}
    </View>
  );
}
