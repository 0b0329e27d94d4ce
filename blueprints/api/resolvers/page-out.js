export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const { items = [], nextToken = null } = ctx.result;
  return { items, nextToken };
}
