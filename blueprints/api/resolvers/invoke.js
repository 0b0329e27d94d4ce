import { util } from '@aws-appsync/utils';

// Calls the Lambda function of `@function` with the field's arguments, the caller's
// identity, the parent item and the previous step's result.
export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: {
      typeName: ctx.info.parentTypeName,
      fieldName: ctx.info.fieldName,
      arguments: ctx.args,
      identity: ctx.identity,
      source: ctx.source,
      request: ctx.request,
      prev: ctx.prev,
    },
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
