// hoist's local Node.js runtime: the loop of Lambda's Runtime API
// ("Using the Lambda runtime API for custom runtimes"), run by `node`
// against the endpoint in AWS_LAMBDA_RUNTIME_API. It loads the handler
// `file.export` (_HANDLER) from LAMBDA_TASK_ROOT, as Lambda's Node.js
// runtime does, and calls it with the event and a context object; async
// handlers and callback handlers both answer.
"use strict";
const path = require("node:path");

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

async function post(url, body, headers = {}) {
  await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

// The error object Lambda's Node.js runtime reports: errorType,
// errorMessage, and trace (the stack's lines, its first line included).
function errorOf(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    errorType: e.name || "Error",
    errorMessage: e.message,
    trace: String(e.stack || "").split("\n"),
  };
}

// Node.js 24 and later runtimes take async handlers only: a handler that
// declares a callback is refused at init (Lambda's Node.js 24 launch notes).
function nodeMajor() {
  const match = /nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV || "");
  return match ? Number(match[1]) : 0;
}

async function load() {
  const handler = process.env._HANDLER || "index.handler";
  const dot = handler.lastIndexOf(".");
  const file = handler.slice(0, dot);
  const name = handler.slice(dot + 1);
  const module = require(path.join(process.env.LAMBDA_TASK_ROOT, `${file}.js`));
  const fn = module[name];
  if (typeof fn !== "function") {
    const e = new Error(`${file}.${name} is undefined or not exported`);
    e.name = "Runtime.HandlerNotFound";
    throw e;
  }
  if (fn.length >= 3 && nodeMajor() >= 24) {
    const e = new Error(
      `${file}.${name} takes a callback: Node.js 24 and later runtimes call async handlers only; make it \`async (event, context) => ...\` and return the result (or use nodejs22.x)`
    );
    e.name = "Runtime.CallbackHandlerDeprecated";
    throw e;
  }
  return fn;
}

function call(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      err ? reject(err) : resolve(result);
    };
    try {
      const returned = fn(event, context, callback);
      if (returned && typeof returned.then === "function") {
        returned.then((r) => callback(null, r), (e) => callback(e));
      } else if (fn.length < 3) {
        callback(null, returned);
      }
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await load();
  } catch (e) {
    const error = errorOf(e);
    if (error.errorType === "Error") error.errorType = "Runtime.ImportModuleError";
    await post(`${api}/init/error`, error, { "Lambda-Runtime-Function-Error-Type": error.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await fetch(`${api}/invocation/next`);
    const id = next.headers.get("lambda-runtime-aws-request-id");
    const deadline = Number(next.headers.get("lambda-runtime-deadline-ms"));
    const event = await next.json();
    const context = {
      awsRequestId: id,
      invokedFunctionArn: next.headers.get("lambda-runtime-invoked-function-arn"),
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
      const result = await call(fn, event, context);
      await post(`${api}/invocation/${id}/response`, result === undefined ? null : result);
    } catch (e) {
      const error = errorOf(e);
      await post(`${api}/invocation/${id}/error`, error, { "Lambda-Runtime-Function-Error-Type": error.errorType });
    }
  }
}

main();
