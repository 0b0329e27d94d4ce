import pytest

from index import handler


def field(name, arguments=None, identity=None):
    return {"typeName": "Query", "fieldName": name, "arguments": arguments or {}, "identity": identity}


def test_echoes_the_message():
    assert handler(field("echo", {"message": "hi"}), None) == "hi"


def test_names_a_signed_in_caller():
    assert handler(field("whoami", identity={"sub": "1", "username": "ada"}), None) == "ada"


def test_refuses_a_field_it_does_not_resolve():
    with pytest.raises(LookupError, match="no resolver for Query.other"):
        handler(field("other"), None)
