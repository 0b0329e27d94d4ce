// A stand-in for AppSync's JavaScript runtime, enough to run hoist's generated
// resolvers in Node: `util`, `runtime` and `extensions` record what a resolver
// asks for; the DynamoDB helpers return the request they were given.
export const state = { authType: null, subscriptionFilter: null };

export class Unauthorized extends Error {}
export class EarlyReturn extends Error {
  constructor(value) {
    super('early return');
    this.value = value;
  }
}

export const util = {
  authType: () => state.authType,
  unauthorized: () => {
    throw new Unauthorized('Unauthorized');
  },
  error: (message, type) => {
    throw new Error(`${type}: ${message}`);
  },
  autoId: () => 'generated-id',
  time: { nowISO8601: () => '2026-11-25T00:00:00.000Z' },
  transform: {
    toDynamoDBFilterExpression: (filter) => JSON.stringify({ filter }),
    toSubscriptionFilter: (filter) => filter,
    // a JSON string, as AppSync documents it
    toElasticsearchQueryDSL: (filter) => JSON.stringify({ dsl: filter }),
  },
  dynamodb: {
    toDynamoDB: (value) => (typeof value === 'number' ? { N: String(value) } : { S: String(value) }),
  },
  base64Encode: (text) => Buffer.from(text).toString('base64'),
  base64Decode: (text) => Buffer.from(text, 'base64').toString(),
};

export const runtime = {
  earlyReturn: (value) => {
    throw new EarlyReturn(value);
  },
};

export const extensions = {
  setSubscriptionFilter: (filter) => {
    state.subscriptionFilter = filter;
  },
};

export const get = (request) => ({ operation: 'GetItem', ...request });
export const put = (request) => ({ operation: 'PutItem', ...request });
export const update = (request) => ({ operation: 'UpdateItem', ...request });
export const remove = (request) => ({ operation: 'DeleteItem', ...request });
export const query = (request) => ({ operation: 'Query', ...request });
