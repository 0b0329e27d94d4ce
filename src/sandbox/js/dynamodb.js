// `@aws-appsync/utils/dynamodb` as hoist's sandbox provides it: the helpers
// that build DynamoDB data source requests (AWS AppSync Developer Guide,
// "DynamoDB built-in module": get, put, remove, update, query, scan, sync,
// and the update operations).

import { util, __expression } from '@aws-appsync/utils';

const { toMapValues, toDynamoDB } = util.dynamodb;

function condition(object) {
  return object ? __expression(object, 'condition') ?? undefined : undefined;
}

function filter(object) {
  return object ? __expression(object, 'filter') ?? undefined : undefined;
}

function withoutKey(item, key) {
  const out = {};
  for (const k of Object.keys(item ?? {})) {
    if (!(k in (key ?? {}))) out[k] = item[k];
  }
  return out;
}

export function get({ key, consistentRead, projection }) {
  return { operation: 'GetItem', key: toMapValues(key), consistentRead, projection: projectionOf(projection) };
}

export function put({ key, item, condition: c, _version }) {
  return {
    operation: 'PutItem',
    key: toMapValues(key),
    attributeValues: toMapValues(withoutKey(item, key)),
    condition: condition(c),
    _version,
  };
}

export function remove({ key, condition: c, _version }) {
  return { operation: 'DeleteItem', key: toMapValues(key), condition: condition(c), _version };
}

// An update operation: what `operations.*` return.
const OP = '__hoistUpdate';

export const operations = {
  add: (value) => ({ [OP]: 'add', value }),
  remove: () => ({ [OP]: 'remove' }),
  replace: (value) => ({ [OP]: 'replace', value }),
  increment: (by) => ({ [OP]: 'increment', value: by }),
  decrement: (by) => ({ [OP]: 'decrement', value: by }),
  append: (items) => ({ [OP]: 'append', value: items }),
  prepend: (items) => ({ [OP]: 'prepend', value: items }),
  updateListItem: (value, index) => ({ [OP]: 'updateListItem', value, index }),
};

export function update({ key, update: changes, condition: c, _version }) {
  const names = {};
  const values = {};
  const set = [];
  const remove = [];
  const add = [];
  let n = 0;
  for (const field of Object.keys(changes ?? {})) {
    const change = changes[field];
    if (change === undefined) continue;
    n += 1;
    const name = '#u' + n;
    names[name] = field;
    const v = ':u' + n;
    const op = change !== null && typeof change === 'object' && change[OP] ? change[OP] : 'replace';
    const value = op === 'replace' && !(change !== null && typeof change === 'object' && change[OP]) ? change : change.value;
    switch (op) {
      case 'remove':
        remove.push(name);
        break;
      case 'add':
        add.push(`${name} ${v}`);
        values[v] = toDynamoDB(value);
        break;
      case 'increment':
        set.push(`${name} = ${name} + ${v}`);
        values[v] = toDynamoDB(value ?? 1);
        break;
      case 'decrement':
        set.push(`${name} = ${name} - ${v}`);
        values[v] = toDynamoDB(value ?? 1);
        break;
      case 'append':
        set.push(`${name} = list_append(${name}, ${v})`);
        values[v] = toDynamoDB(value);
        break;
      case 'prepend':
        set.push(`${name} = list_append(${v}, ${name})`);
        values[v] = toDynamoDB(value);
        break;
      case 'updateListItem':
        set.push(`${name}[${Number(change.index)}] = ${v}`);
        values[v] = toDynamoDB(value);
        break;
      default:
        set.push(`${name} = ${v}`);
        values[v] = toDynamoDB(value);
    }
  }
  const clauses = [];
  if (set.length) clauses.push('SET ' + set.join(', '));
  if (remove.length) clauses.push('REMOVE ' + remove.join(', '));
  if (add.length) clauses.push('ADD ' + add.join(', '));
  const out = { operation: 'UpdateItem', key: toMapValues(key), condition: condition(c), _version };
  if (clauses.length) {
    out.update = { expression: clauses.join(' '), expressionNames: names };
    if (Object.keys(values).length) out.update.expressionValues = values;
  }
  return out;
}

function projectionOf(fields) {
  if (!fields || !fields.length) return undefined;
  const names = {};
  const parts = fields.map((f, i) => {
    names['#p' + i] = f;
    return '#p' + i;
  });
  return { expression: parts.join(', '), expressionNames: names };
}

export function query({ query: keys, filter: f, index, limit, nextToken, scanIndexForward, consistentRead, select, projection }) {
  return {
    operation: 'Query',
    query: __expression(keys, 'key condition'),
    filter: filter(f),
    index,
    limit,
    nextToken,
    scanIndexForward,
    consistentRead,
    select,
    projection: projectionOf(projection),
  };
}

export function scan({ filter: f, index, limit, nextToken, consistentRead, select, projection, segment, totalSegments }) {
  return {
    operation: 'Scan',
    filter: filter(f),
    index,
    limit,
    nextToken,
    consistentRead,
    select,
    projection: projectionOf(projection),
    segment,
    totalSegments,
  };
}
