import { useCallback, useEffect, useState } from 'react';
import { FlatList, Linking, Pressable, Text, TextInput, View } from 'react-native';
import { downloadUrl, listFiles, removeFile, uploadFile, type FileItem } from './files';
import { errorMessage } from './todos';
import { styles } from './styles';

/**
 * The user's private files. This starter uploads text notes, which need no
 * native picker; add `expo-document-picker` to upload files from the device.
 */
export default function Files() {
  const [files, setFiles] = useState<FileItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [text, setText] = useState('');

  const refresh = useCallback(async () => {
    try {
      setFiles(await listFiles());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  async function run(action: () => Promise<void>) {
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const upload = () =>
    run(async () => {
      setUploading(true);
      try {
        await uploadFile(name.endsWith('.txt') ? name : `${name}.txt`, text);
        setName('');
        setText('');
      } finally {
        setUploading(false);
      }
      await refresh();
    });

  return (
    <View style={styles.page}>
      <Text style={styles.title}>My files</Text>
      <View style={styles.row}>
        <TextInput style={styles.input} accessibilityLabel="Note name" placeholder="Name" value={name} onChangeText={setName} />
      </View>
      <View style={styles.row}>
        <TextInput style={styles.input} accessibilityLabel="Note text" placeholder="Text" value={text} onChangeText={setText} multiline />
        <Pressable accessibilityRole="button" disabled={uploading || !name.trim()} onPress={upload}>
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
                onPress={() => run(async () => void (await Linking.openURL(await downloadUrl(file.path))))}
              >
                <Text style={styles.link}>Download</Text>
              </Pressable>
              <Pressable
                accessibilityRole="button"
                accessibilityLabel={`Delete ${file.name}`}
                onPress={() =>
                  run(async () => {
                    await removeFile(file.path);
                    setFiles((list) => list.filter((f) => f.path !== file.path));
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
