from typing import Literal

MemberStateBody = Literal["connecting", "disconnected", "local", "verified"]

MEMBER_STATE_BODY_VALUES: set[MemberStateBody] = {
    "connecting",
    "disconnected",
    "local",
    "verified",
}


def check_member_state_body(value: str) -> MemberStateBody:
    if value in MEMBER_STATE_BODY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MEMBER_STATE_BODY_VALUES!r}"
    )
