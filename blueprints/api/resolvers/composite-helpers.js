const KEY_OPERATORS = { eq: '=', le: '<=', lt: '<', ge: '>=', gt: '>' };

// The values of `fields` in `value`, joined by '#', up to the first one missing.
function joinKey(value, fields) {
  const missing = fields.findIndex((f) => value[f] === undefined || value[f] === null);
  return (missing === -1 ? fields : fields.slice(0, missing)).map((f) => value[f]).join('#');
}

// A condition on the composite sort key, from one on its fields.
function compositeCondition(condition, fields) {
  if (!condition) {
    return undefined;
  }
  const op = Object.keys(condition)[0];
  if (op === 'between') {
    return { between: condition.between.map((v) => joinKey(v, fields)) };
  }
  const value = joinKey(condition[op], fields);
  if (op === 'eq' && fields.some((f) => condition.eq[f] === undefined || condition.eq[f] === null)) {
    return { beginsWith: value };
  }
  return { [op]: value };
}

// A key condition: the partition equal to `value`, the sort key by `sort`.
function keyQuery(partition, value, sortName, sort) {
  const query = {
    expression: '#pk = :pk',
    expressionNames: { '#pk': partition },
    expressionValues: { ':pk': util.dynamodb.toDynamoDB(value) },
  };
  if (sort) {
    query.expressionNames['#sk'] = sortName;
    if (sort.between) {
      query.expression = query.expression + ' AND #sk BETWEEN :sk0 AND :sk1';
      query.expressionValues[':sk0'] = util.dynamodb.toDynamoDB(sort.between[0]);
      query.expressionValues[':sk1'] = util.dynamodb.toDynamoDB(sort.between[1]);
    } else if (sort.beginsWith !== undefined) {
      query.expression = query.expression + ' AND begins_with(#sk, :sk)';
      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort.beginsWith);
    } else {
      const op = Object.keys(sort)[0];
      query.expression = query.expression + ' AND #sk ' + KEY_OPERATORS[op] + ' :sk';
      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort[op]);
    }
  }
  return query;
}
