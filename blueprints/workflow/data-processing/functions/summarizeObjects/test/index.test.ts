import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "../src/index";

test("a batch is counted, measured and grouped by extension", async () => {
  const summary = await handler({
    Items: [
      { Key: "public/in/a.csv", Size: 10 },
      { Key: "public/in/b.CSV", Size: 30 },
      { Key: "public/in/notes", Size: 5 },
    ],
    BatchInput: { prefix: "public/in/" },
  });
  assert.deepEqual(summary, {
    prefix: "public/in/",
    objects: 3,
    bytes: 45,
    largest: { key: "public/in/b.CSV", size: 30 },
    byExtension: { csv: 2, "": 1 },
  });
});

test("a batch with an empty object fails", async () => {
  await assert.rejects(
    handler({ Items: [{ Key: "a.txt", Size: 1 }, { Key: "b.txt", Size: 0 }] }),
    { name: "EmptyObject", message: "empty objects: b.txt" },
  );
});

test("a batch without items is refused", async () => {
  await assert.rejects(handler({} as never), { name: "InvalidBatch" });
});
