// The files page's state for React and React Native: the user's private
// files, upload progress, and the actions. Every failure lands in `error`.
import { useCallback, useEffect, useState } from 'react';
import { downloadUrl, listFiles, removeFile, uploadFile, type FileItem } from './files';
import { attempt, errorMessage } from './todos';

export function useFiles() {
  const [files, setFiles] = useState<FileItem[]>([]);
  const [loading, setLoading] = useState(true);
  /** The upload's progress from 0 to 1, or null when none runs. */
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

  const run = (action: () => Promise<unknown>) => attempt(action, setError);

  return {
    files,
    loading,
    progress,
    error,
    upload: (name: string, data: Blob | string) =>
      run(async () => {
        setProgress(0);
        try {
          await uploadFile(name, data, setProgress);
        } finally {
          setProgress(null);
        }
        await refresh();
      }),
    /** Opens a download link with `open` (a new tab, or the device's browser). */
    download: (file: FileItem, open: (url: string) => unknown) =>
      run(async () => {
        await open(await downloadUrl(file.path));
      }),
    remove: (file: FileItem) =>
      run(async () => {
        await removeFile(file.path);
        setFiles((list) => list.filter((f) => f.path !== file.path));
      }),
  };
}
