"""A webhook is authentic only when its header is exactly the base64 signature of its body."""

from __future__ import annotations

from webhooks.verify import is_authentic, sign

BODY = b'{"id": 820982911946154500}'
SECRETS = ("new-secret", "old-secret")


def test_a_signature_under_the_current_or_the_previous_secret_is_authentic() -> None:
    assert is_authentic(BODY, sign(BODY, "new-secret"), SECRETS)
    assert is_authentic(BODY, sign(BODY, "old-secret"), SECRETS)
    assert not is_authentic(BODY, sign(BODY, "another-apps-secret"), SECRETS)


def test_a_signature_with_characters_base64_does_not_have_is_refused() -> None:
    header = sign(BODY, "new-secret")

    assert not is_authentic(BODY, f"{header[:8]}*{header[8:]}", SECRETS)
    assert not is_authentic(BODY, f"{header[:8]}\n{header[8:]}", SECRETS)
