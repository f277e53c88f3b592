from typing import Literal

MemberOutcome = Literal["denied", "error", "ok", "timeout", "unreachable"]

MEMBER_OUTCOME_VALUES: set[MemberOutcome] = {
    "denied",
    "error",
    "ok",
    "timeout",
    "unreachable",
}


def check_member_outcome(value: str) -> MemberOutcome:
    if value in MEMBER_OUTCOME_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {MEMBER_OUTCOME_VALUES!r}"
    )
