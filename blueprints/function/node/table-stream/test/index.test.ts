import assert from "node:assert/strict";
import { test } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";

import { handler } from "../src/index";

function record(eventName: "INSERT" | "MODIFY" | "REMOVE", id: string): DynamoDBRecord {
  return {
    eventName,
    eventSource: "aws:dynamodb",
    dynamodb: { Keys: { id: { S: id } }, NewImage: { id: { S: id } }, StreamViewType: "NEW_AND_OLD_IMAGES" },
  };
}

test("counts the batch's changes by kind", async () => {
  const counts = await handler({
    Records: [record("INSERT", "a"), record("INSERT", "b"), record("REMOVE", "a")],
  });
  assert.deepEqual(counts, { INSERT: 2, MODIFY: 0, REMOVE: 1 });
});
