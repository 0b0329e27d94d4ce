import { useCallback, useEffect, useState, type ChangeEvent } from 'react';
import { downloadUrl, listFiles, removeFile, uploadFile, type FileItem } from './files';
import { errorMessage } from './todos';

export default function Files() {
  const [files, setFiles] = useState<FileItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

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

  function onPick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    void run(async () => {
      setProgress(0);
      try {
        await uploadFile(file.name, file, setProgress);
      } finally {
        setProgress(null);
      }
      await refresh();
    });
  }

  return (
    <section aria-label="files">
      <h1>My files</h1>
      <label className="upload">
        Upload a file <input type="file" aria-label="Upload a file" onChange={onPick} disabled={progress !== null} />
      </label>
      {progress !== null && <progress aria-label="Upload progress" value={progress} max={1} />}
      {error && <p role="alert">{error}</p>}
      {loading ? (
        <p>Loading…</p>
      ) : files.length === 0 ? (
        <p>No files yet.</p>
      ) : (
        <ul className="items">
          {files.map((file) => (
            <li key={file.path}>
              <span>{file.name}</span>
              <button
                onClick={() =>
                  void run(async () => {
                    window.open(await downloadUrl(file.path), '_blank', 'noopener');
                  })
                }
              >
                Download
              </button>
              <button
                aria-label={`Delete ${file.name}`}
                onClick={() =>
                  void run(async () => {
                    await removeFile(file.path);
                    setFiles((list) => list.filter((f) => f.path !== file.path));
                  })
                }
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
