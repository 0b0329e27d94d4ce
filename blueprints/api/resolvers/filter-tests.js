
// Every test of a filter, as { node, key }: the field keys below its `and`,
// `or` and `not`. Walked level by level (APPSYNC_JS has no recursion), at
// most 16 levels deep.
function filterTests(filter) {
  const tests = [];
  let level = filter ? [filter] : [];
  for (const depth of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) {
    const next = [];
    for (const node of level) {
      for (const key of Object.keys(node)) {
        if (key === 'and' || key === 'or') {
          for (const child of node[key] ?? []) {
            next.push(child);
          }
        } else if (key === 'not') {
          if (node.not) {
            next.push(node.not);
          }
        } else {
          tests.push({ node, key, depth });
        }
      }
    }
    level = next;
    if (level.length === 0) {
      break;
    }
  }
  if (level.length > 0) {
    util.error('The filter is nested more than 16 levels deep', 'ValidationException');
  }
  return tests;
}
