import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "../src/index";

test("strings are trimmed, empty ones dropped, the email lower-cased", async () => {
  const cleaned = await handler({ name: "  Ada ", email: " ADA@Example.com", note: "   ", age: 36 });
  assert.deepEqual(cleaned, { name: "Ada", email: "ada@example.com", age: 36 });
});

test("a record that is not an object is refused", async () => {
  await assert.rejects(handler("ada"), { name: "InvalidRecord" });
  await assert.rejects(handler([1, 2]), { name: "InvalidRecord" });
});

test("a record with nothing left is refused", async () => {
  await assert.rejects(handler({ name: " ", note: null }), { name: "InvalidRecord" });
});
