export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  // A mutation's result is what subscribers receive: marked, so that fields
  // with rules of their own and related items others may not read leave it out.
  return ctx.result ? { ...ctx.result, __operation: 'Mutation' } : ctx.result;
}
