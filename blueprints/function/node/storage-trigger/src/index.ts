import type { EventBridgeEvent } from "aws-lambda";

/**
 * An S3 object event as EventBridge delivers it (hoist's storage triggers:
 * `storage:created`, `storage:deleted`, optionally of some keys), not S3's
 * `Records`: see "EventBridge event message structure", Amazon S3 User Guide.
 */
export interface ObjectDetail {
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string };
  reason?: string;
}

export type ObjectEvent = EventBridgeEvent<"Object Created" | "Object Deleted", ObjectDetail>;

export interface Summary {
  bucket: string;
  key: string;
  event: string;
  size: number | null;
}

/**
 * Runs on every file created in (or deleted from) the storage bucket; the key
 * is as stored (not URL-encoded). Replace the log line with your work: make a
 * thumbnail, index the file, record it in a table.
 */
export const handler = async (event: ObjectEvent): Promise<Summary> => {
  const { bucket, object } = event.detail;
  console.log(`${event["detail-type"]}: s3://${bucket.name}/${object.key} (${object.size ?? "-"} bytes)`);
  return { bucket: bucket.name, key: object.key, event: event["detail-type"], size: object.size ?? null };
};
