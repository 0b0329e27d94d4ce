// The caller's values of a claim. Owners are stored as `<sub>::<username>` by
// default (as Amplify stores them); the sub or the username alone match too,
// but not a username that itself holds `::`: where users choose their names
// (Cognito allows `:`), one could otherwise pick another's `<sub>::<name>`.
function claimValues(ctx, claim) {
  const identity = ctx.identity ?? {};
  const claims = identity.claims ?? {};
  if (claim === 'sub::username') {
    const username = claims['cognito:username'] ?? claims.username ?? identity.username;
    const sub = claims.sub ?? identity.sub;
    const values = [];
    if (sub && username) {
      values.push(`${sub}::${username}`);
    }
    if (sub) {
      values.push(sub);
    }
    if (username && !String(username).includes('::')) {
      values.push(username);
    }
    return values;
  }
  const value = claims[claim] ?? (claim === 'username' ? identity.username : undefined);
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}
