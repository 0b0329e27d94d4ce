import type { DynamoDBStreamEvent } from "aws-lambda";

export interface Counts {
  INSERT: number;
  MODIFY: number;
  REMOVE: number;
}

/**
 * Runs on each batch of changes of a model's table (its DynamoDB stream, new
 * and old images). Replace the log line with your work: send a notification,
 * keep a count, copy the item elsewhere. A thrown error retries the batch.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<Counts> => {
  const counts: Counts = { INSERT: 0, MODIFY: 0, REMOVE: 0 };
  for (const record of event.Records) {
    const name = record.eventName ?? "MODIFY";
    counts[name] += 1;
    const id = record.dynamodb?.Keys?.id?.S ?? JSON.stringify(record.dynamodb?.Keys);
    console.log(`${name} ${id}`);
  }
  return counts;
};
