from index import handler


class Context:
    aws_request_id = "test"


def test_greets_by_name():
    assert handler({"name": "Ada"}, Context())["message"].startswith("Hello, Ada!")


def test_greets_the_world_when_no_name_is_given():
    assert handler({}, Context())["message"].startswith("Hello, world!")
