import type { ChangeEvent } from 'react';
import { useFiles } from './useFiles';

export default function Files() {
  const { files, loading, progress, error, upload, download, remove } = useFiles();

  function onPick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) void upload(file.name, file);
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
              <button onClick={() => void download(file, (url) => window.open(url, '_blank', 'noopener'))}>
                Download
              </button>
              <button aria-label={`Delete ${file.name}`} onClick={() => void remove(file)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
