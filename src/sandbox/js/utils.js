// `@aws-appsync/utils` as hoist's sandbox provides it: the parts of AppSync's
// APPSYNC_JS runtime utilities (AWS AppSync Developer Guide, "Built-in
// utilities", "Runtime utilities", "Extensions") that resolvers use. The host
// sets `globalThis.__hoist` for each call: { authType, errors: [],
// subscriptionFilter: null, invalidationFilter: null }.

const host = () => globalThis.__hoist;

// What the host reads back when a function throws one of these.
function signal(kind, fields) {
  const s = { __hoist: kind };
  for (const k of Object.keys(fields)) {
    s[k] = fields[k];
  }
  return s;
}

function hex(n) {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += Math.floor(Math.random() * 16).toString(16);
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function utf8(text) {
  const bytes = [];
  for (const ch of String(text)) {
    let c = ch.codePointAt(0);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return bytes;
}

function fromUtf8(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c, n;
    if (b < 0x80) { c = b; n = 1; }
    else if (b < 0xe0) { c = b & 31; n = 2; }
    else if (b < 0xf0) { c = b & 15; n = 3; }
    else { c = b & 7; n = 4; }
    for (let k = 1; k < n; k++) c = (c << 6) | (bytes[i + k] & 63);
    out += String.fromCodePoint(c);
    i += n;
  }
  return out;
}

function base64Encode(text) {
  const bytes = utf8(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

function base64Decode(text) {
  const clean = String(text).replace(/[^A-Za-z0-9+/]/g, '');
  const bytes = [];
  for (let i = 0; i < clean.length; i += 4) {
    const n = [0, 1, 2, 3].map((k) => (i + k < clean.length ? B64.indexOf(clean[i + k]) : 0));
    const v = (n[0] << 18) | (n[1] << 12) | (n[2] << 6) | n[3];
    bytes.push((v >> 16) & 255);
    if (i + 2 < clean.length) bytes.push((v >> 8) & 255);
    if (i + 3 < clean.length) bytes.push(v & 255);
  }
  return fromUtf8(bytes);
}

// A JavaScript value as a DynamoDB attribute value.
function toDynamoDB(value) {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
  if (typeof value === 'object') return { M: toMapValues(value) };
  return { S: String(value) };
}

function toMapValues(object) {
  const out = {};
  for (const k of Object.keys(object ?? {})) {
    if (object[k] !== undefined) out[k] = toDynamoDB(object[k]);
  }
  return out;
}

// Filter and condition objects ({ field: { eq: v }, and: [...], or: [...],
// not: {...} }) as DynamoDB expressions, with a placeholder per use.
function expressionOf(input, kind) {
  const names = {};
  const values = {};
  let counter = 0;
  const name = (field) => {
    const key = '#' + field.replace(/[^A-Za-z0-9_]/g, '_');
    names[key] = field;
    return key;
  };
  const value = (field, op, v) => {
    counter += 1;
    const key = ':' + field.replace(/[^A-Za-z0-9_]/g, '_') + '_' + op + '_' + counter;
    values[key] = toDynamoDB(v);
    return key;
  };
  const comparisons = {
    eq: '=', ne: '<>', le: '<=', lt: '<', ge: '>=', gt: '>',
  };
  const one = (object) => {
    const parts = [];
    for (const key of Object.keys(object ?? {})) {
      const v = object[key];
      if (v === undefined) continue;
      if (key === 'and' || key === 'or') {
        const inner = (v ?? []).map(one).filter((x) => x !== '');
        if (inner.length) parts.push('(' + inner.join(key === 'and' ? ' AND ' : ' OR ') + ')');
        continue;
      }
      if (key === 'not') {
        const inner = one(v);
        if (inner !== '') parts.push('(NOT ' + inner + ')');
        continue;
      }
      for (const op of Object.keys(v ?? {})) {
        const operand = v[op];
        if (operand === undefined) continue;
        const n = name(key);
        if (comparisons[op]) parts.push(`(${n} ${comparisons[op]} ${value(key, op, operand)})`);
        else if (op === 'between') parts.push(`(${n} BETWEEN ${value(key, op, operand[0])} AND ${value(key, op, operand[1])})`);
        else if (op === 'beginsWith') parts.push(`(begins_with(${n}, ${value(key, op, operand)}))`);
        else if (op === 'contains') parts.push(`(contains(${n}, ${value(key, op, operand)}))`);
        else if (op === 'notContains') parts.push(`(NOT contains(${n}, ${value(key, op, operand)}))`);
        else if (op === 'attributeExists') parts.push(operand ? `(attribute_exists(${n}))` : `(attribute_not_exists(${n}))`);
        else if (op === 'attributeType') parts.push(`(attribute_type(${n}, ${value(key, op, operand)}))`);
        else if (op === 'in') parts.push(`(${n} IN (${operand.map((x) => value(key, op, x)).join(', ')}))`);
        else if (op === 'size') {
          for (const sop of Object.keys(operand)) {
            if (comparisons[sop]) parts.push(`(size(${n}) ${comparisons[sop]} ${value(key, 'size_' + sop, operand[sop])})`);
          }
        } else {
          throw signal('error', { message: `Unsupported ${kind} operator: ${op}`, type: 'InvalidFilterException' });
        }
      }
    }
    return parts.length === 0 ? '' : parts.length === 1 ? parts[0] : '(' + parts.join(' AND ') + ')';
  };
  const expression = one(input);
  if (expression === '') return null;
  const out = { expression };
  if (Object.keys(names).length) out.expressionNames = names;
  if (Object.keys(values).length) out.expressionValues = values;
  return out;
}

// A filter object as OpenSearch's Query DSL (AWS AppSync Developer Guide,
// "Transformation helpers in util.transform": `eq` is a `term`, `ne` a
// `must_not` term, `range` is `gte`/`lte`, `and`/`or`/`not` are `bool`
// clauses, several conditions are ANDed). A string's `eq` compares the whole
// value, on the field's `keyword` sub-field, as Amplify's own mock of this
// function does (the guide's example, a one-word lowercase string, gives the
// same hits either way).
function queryDslOf(input, depth) {
  if (depth > 20) {
    throw signal('error', { message: 'the filter nests too deeply', type: 'ValidationError' });
  }
  // strings on the keyword sub-field, except dates: OpenSearch maps those as
  // `date` fields, which have none
  const isDate = (v) => /^\d{4}-\d{2}-\d{2}([T ]|$)/.test(v);
  const exact = (key, v) => ({ term: { [typeof v === 'string' && !isDate(v) ? `${key}.keyword` : key]: v } });
  const all = (clauses) => (clauses.length === 1 ? clauses[0] : { bool: { must: clauses } });
  const clauses = [];
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === 'and' || key === 'or') {
      const parts = value.map((v) => queryDslOf(v, depth + 1)).filter((v) => v !== null);
      clauses.push(key === 'and' ? { bool: { must: parts } } : { bool: { should: parts, minimum_should_match: 1 } });
    } else if (key === 'not') {
      const inner = queryDslOf(value, depth + 1);
      if (inner !== null) clauses.push({ bool: { must_not: inner } });
    } else {
      const field = [];
      for (const [op, v] of Object.entries(value)) {
        switch (op) {
          case 'eq': field.push(exact(key, v)); break;
          case 'ne': field.push({ bool: { must_not: exact(key, v) } }); break;
          case 'match': field.push({ match: { [key]: v } }); break;
          case 'matchPhrase': field.push({ match_phrase: { [key]: v } }); break;
          case 'matchPhrasePrefix': field.push({ match_phrase_prefix: { [key]: v } }); break;
          case 'multiMatch': field.push({ multi_match: { query: v, fields: [key] } }); break;
          case 'exists': field.push(v ? { exists: { field: key } } : { bool: { must_not: { exists: { field: key } } } }); break;
          case 'wildcard': field.push({ wildcard: { [key]: v } }); break;
          case 'regexp': field.push({ regexp: { [key]: v } }); break;
          case 'gt': case 'gte': case 'lt': case 'lte': field.push({ range: { [key]: { [op]: v } } }); break;
          case 'range': field.push({ range: { [key]: { gte: v[0], lte: v[1] } } }); break;
          default:
            throw signal('error', { message: `Could not construct an OpenSearch query from \`${op}\` on \`${key}\``, type: 'ValidationError' });
        }
      }
      if (field.length > 0) clauses.push(all(field));
    }
  }
  return clauses.length === 0 ? null : all(clauses);
}

export const util = {
  authType: () => host().authType,
  autoId: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(Math.random() * 4)]}${hex(3)}-${hex(12)}`,
  error: (message, type, data, info) => {
    throw signal('error', { message: String(message), type: type ?? null, data: data ?? null, info: info ?? null });
  },
  appendError: (message, type, data, info) => {
    host().errors.push({ message: String(message), errorType: type ?? null, data: data ?? null, errorInfo: info ?? null });
  },
  unauthorized: () => {
    throw signal('unauthorized', {});
  },
  isNull: (v) => v === null || v === undefined,
  isNullOrEmpty: (v) => v === null || v === undefined || v === '',
  isNullOrBlank: (v) => v === null || v === undefined || String(v).trim() === '',
  defaultIfNull: (v, d) => (v === null || v === undefined ? d : v),
  defaultIfNullOrEmpty: (v, d) => (v === null || v === undefined || v === '' ? d : v),
  matches: (pattern, text) => new RegExp('^(?:' + pattern + ')$').test(text),
  escapeJavaScript: (text) => JSON.stringify(String(text)).slice(1, -1),
  urlEncode: (text) => encodeURIComponent(text),
  urlDecode: (text) => decodeURIComponent(text),
  base64Encode,
  base64Decode,
  time: {
    nowISO8601: () => new Date().toISOString(),
    nowEpochSeconds: () => Math.floor(Date.now() / 1000),
    nowEpochMilliSeconds: () => Date.now(),
    parseISO8601ToEpochMilliSeconds: (t) => Date.parse(t),
    epochMilliSecondsToISO8601: (ms) => new Date(ms).toISOString(),
    epochMilliSecondsToSeconds: (ms) => Math.floor(ms / 1000),
  },
  dynamodb: {
    toDynamoDB,
    toMapValues,
    toString: (v) => ({ S: String(v) }),
    toNumber: (v) => ({ N: String(v) }),
    toBoolean: (v) => ({ BOOL: !!v }),
    toNull: () => ({ NULL: true }),
    toList: (v) => ({ L: v.map(toDynamoDB) }),
    toMap: (v) => ({ M: toMapValues(v) }),
    toStringSet: (v) => ({ SS: v.map(String) }),
    toNumberSet: (v) => ({ NS: v.map(String) }),
  },
  transform: {
    toDynamoDBFilterExpression: (filter) => JSON.stringify(expressionOf(filter, 'filter')),
    toDynamoDBConditionExpression: (condition) => JSON.stringify(expressionOf(condition, 'condition')),
    toSubscriptionFilter: (filter) => filter,
    // a JSON string, as AppSync returns it
    toElasticsearchQueryDSL: (filter) => JSON.stringify(queryDslOf(filter, 0)),
  },
};

export const runtime = {
  earlyReturn: (value, options) => {
    throw signal('earlyReturn', { value: value === undefined ? null : value, skipTo: options?.skipTo ?? null });
  },
};

export const extensions = {
  setSubscriptionFilter: (filter) => {
    host().subscriptionFilter = filter;
  },
  setSubscriptionInvalidationFilter: (filter) => {
    host().invalidationFilter = filter;
  },
  invalidateSubscriptions: (invalidation) => {
    host().invalidations = (host().invalidations ?? []).concat([invalidation]);
  },
};

export { expressionOf as __expression };
