
// Whether a field's value (one name or a list) is among the candidates.
function matches(value, candidates) {
  if (value === undefined || value === null) {
    return false;
  }
  if (Array.isArray(value)) {
    return value.some((v) => candidates.includes(v));
  }
  return candidates.includes(value);
}
