/**
 * An object of the bucket as the distributed Map's ItemReader lists it
 * (`s3:listObjectsV2`: see "ItemReader (Map)", Step Functions developer guide).
 */
export interface ListedObject {
  Key: string;
  Size: number;
  Etag?: string;
  LastModified?: number;
  StorageClass?: string;
}

/** A batch of objects (the Map's ItemBatcher), with its BatchInput. */
export interface Batch {
  Items: ListedObject[];
  BatchInput?: { prefix?: string };
}

export interface Summary {
  prefix: string;
  objects: number;
  bytes: number;
  largest: { key: string; size: number } | null;
  byExtension: { [extension: string]: number };
}

/**
 * A summary of one batch of objects: how many, their bytes, the largest, a
 * count by file extension. An empty object is an error (`EmptyObject`: an
 * upload that did not finish): the batch fails, and the workflow tolerates up
 * to 10% of failed batches. Replace the summary with your work; read an
 * object's body with the S3 client (give the function `storage:read`).
 */
export const handler = async (batch: Batch): Promise<Summary> => {
  if (!Array.isArray(batch?.Items)) {
    const error = new Error("a batch has `Items`: the objects the Map listed");
    error.name = "InvalidBatch";
    throw error;
  }
  const empty = batch.Items.filter((item) => item.Size === 0).map((item) => item.Key);
  if (empty.length > 0) {
    const error = new Error(`empty objects: ${empty.join(", ")}`);
    error.name = "EmptyObject";
    throw error;
  }
  const summary: Summary = {
    prefix: batch.BatchInput?.prefix ?? "",
    objects: 0,
    bytes: 0,
    largest: null,
    byExtension: {},
  };
  for (const item of batch.Items) {
    summary.objects += 1;
    summary.bytes += item.Size;
    if (summary.largest === null || item.Size > summary.largest.size) {
      summary.largest = { key: item.Key, size: item.Size };
    }
    const name = item.Key.split("/").pop() ?? "";
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
    summary.byExtension[extension] = (summary.byExtension[extension] ?? 0) + 1;
  }
  console.log(`${summary.objects} objects, ${summary.bytes} bytes under ${summary.prefix}`);
  return summary;
};
