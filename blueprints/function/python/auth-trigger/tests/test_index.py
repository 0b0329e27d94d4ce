import pytest

from index import handler


def sign_up(email):
    return {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "userName": "ada",
        "request": {"userAttributes": {"email": email}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def test_refuses_a_blocked_domain():
    with pytest.raises(PermissionError, match="example.com are not accepted"):
        handler(sign_up("ada@example.com"), None)


def test_lets_other_domains_sign_up():
    event = sign_up("ada@lovelace.dev")
    assert handler(event, None) == event
