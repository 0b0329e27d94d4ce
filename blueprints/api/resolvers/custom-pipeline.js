export function request(ctx) {
  if (!staticAccess(ctx)) {
    util.unauthorized();
  }
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
