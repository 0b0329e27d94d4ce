"""hoist's local Python runtime: the loop of Lambda's Runtime API ("Using the
Lambda runtime API for custom runtimes"), run against the endpoint in
AWS_LAMBDA_RUNTIME_API. It imports the handler `module.function` (_HANDLER)
from LAMBDA_TASK_ROOT, as Lambda's Python runtime does, and calls it with the
event and a context object."""

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime"


def post(url, body, error_type=None):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("content-type", "application/json")
    if error_type:
        request.add_header("Lambda-Runtime-Function-Error-Type", error_type)
    urllib.request.urlopen(request).read()


def error_of(exc, error_type=None):
    # the function's frames only: not this loop's, nor the import machinery's
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename != __file__
        and not frame.filename.startswith("<frozen")
        and "importlib" not in frame.filename
    ]
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_list(frames),
    }


class Context:
    def __init__(self, request_id, arn, deadline_ms):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load():
    module_name, _, function_name = os.environ.get("_HANDLER", "index.handler").rpartition(".")
    root = os.environ["LAMBDA_TASK_ROOT"]
    for path in reversed(os.environ.get("HOIST_PYTHON_PATH", "").split(os.pathsep)):
        if path:
            sys.path.insert(0, path)
    sys.path.insert(0, root)
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


def main():
    try:
        handler = load()
    except Exception as exc:
        kind = "Runtime.HandlerNotFound" if isinstance(exc, AttributeError) else "Runtime.ImportModuleError"
        post(f"{API}/init/error", error_of(exc, kind), kind)
        sys.exit(1)
    while True:
        with urllib.request.urlopen(f"{API}/invocation/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            arn = response.headers.get("Lambda-Runtime-Invoked-Function-Arn")
            deadline = int(response.headers.get("Lambda-Runtime-Deadline-Ms", "0"))
            event = json.loads(response.read() or b"null")
        try:
            result = handler(event, Context(request_id, arn, deadline))
        except Exception as exc:
            error = error_of(exc)
            post(f"{API}/invocation/{request_id}/error", error, error["errorType"])
            continue
        finally:
            sys.stdout.flush()
        try:
            json.dumps(result)
        except (TypeError, ValueError) as exc:
            error = error_of(exc, "Runtime.MarshalError")
            error["errorMessage"] = f"Unable to marshal response: {exc}"
            post(f"{API}/invocation/{request_id}/error", error, error["errorType"])
            continue
        post(f"{API}/invocation/{request_id}/response", result)


if __name__ == "__main__":
    main()
