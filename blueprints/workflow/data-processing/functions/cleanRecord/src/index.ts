/** A record as the workflow's input gives it: any JSON object. */
export type Record = { [field: string]: unknown };

/**
 * One record, cleaned: string fields trimmed, empty ones dropped, an `email`
 * lower-cased. A record that is not an object, or has no field left, is an
 * error (`InvalidRecord`), which the workflow catches and keeps as rejected.
 * Replace the cleaning with your own (the Map runs it on every record).
 */
export const handler = async (record: unknown): Promise<Record> => {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    const error = new Error(`a record is a JSON object, not ${JSON.stringify(record)}`);
    error.name = "InvalidRecord";
    throw error;
  }
  const cleaned: Record = {};
  for (const [field, value] of Object.entries(record)) {
    if (typeof value === "string") {
      const text = value.trim();
      if (text !== "") {
        cleaned[field] = field === "email" ? text.toLowerCase() : text;
      }
    } else if (value !== null && value !== undefined) {
      cleaned[field] = value;
    }
  }
  if (Object.keys(cleaned).length === 0) {
    const error = new Error("the record has no field with a value");
    error.name = "InvalidRecord";
    throw error;
  }
  return cleaned;
};
