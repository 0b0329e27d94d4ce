import assert from "node:assert/strict";
import { test } from "node:test";

import { handler, type ObjectEvent } from "../src/index";

function created(key: string, size: number): ObjectEvent {
  return {
    version: "0",
    id: "1",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "111122223333",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: ["arn:aws:s3:::files"],
    detail: { bucket: { name: "files" }, object: { key, size, etag: "e" }, reason: "PutObject" },
  };
}

test("reads the bucket, the key and the size", async () => {
  assert.deepEqual(await handler(created("public/a b.jpg", 5)), {
    bucket: "files",
    key: "public/a b.jpg",
    event: "Object Created",
    size: 5,
  });
});
