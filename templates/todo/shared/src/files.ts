// The signed-in user's files, in their private folder of the storage bucket
// (`private/<identity id>/`): only they can read, list or delete them.
import { getUrl, list, remove, uploadData } from 'aws-amplify/storage';
import { reachableUrl } from './backend';

export type FileItem = {
  /** The object's path in the bucket. */
  path: string;
  /** The file's name, without the folder. */
  name: string;
  size?: number;
  lastModified?: Date;
};

const folder = ({ identityId }: { identityId?: string }) => `private/${identityId}/`;

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A name that is safe as the last part of an S3 key. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[\\/]/g, '_').trim();
  if (!cleaned) throw new Error('A file needs a name');
  return cleaned;
}

export async function listFiles(): Promise<FileItem[]> {
  const { items } = await list({ path: folder, options: { listAll: true } });
  return items
    .filter((item) => !item.path.endsWith('/'))
    .map((item) => ({ path: item.path, name: nameOf(item.path), size: item.size, lastModified: item.lastModified }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Upload into the private folder; `onProgress` gets a fraction from 0 to 1. */
export async function uploadFile(
  name: string,
  data: Blob | string,
  onProgress?: (fraction: number) => void,
): Promise<string> {
  const fileName = safeName(name);
  const { path } = await uploadData({
    path: ({ identityId }) => `${folder({ identityId })}${fileName}`,
    data,
    options: {
      // the file's own type, so that a download link shows it as it is
      contentType: typeof Blob !== 'undefined' && data instanceof Blob && data.type ? data.type : undefined,
      onProgress: ({ transferredBytes, totalBytes }) => {
        if (onProgress && totalBytes) onProgress(transferredBytes / totalBytes);
      },
    },
  }).result;
  return path;
}

/** A link that downloads the file, valid for 15 minutes. */
export async function downloadUrl(path: string): Promise<string> {
  const { url } = await getUrl({ path, options: { expiresIn: 900, validateObjectExistence: true } });
  // the browser opens the link itself: under `hoist dev`, the sandbox's address
  return reachableUrl(url);
}

export async function removeFile(path: string): Promise<void> {
  await remove({ path });
}
