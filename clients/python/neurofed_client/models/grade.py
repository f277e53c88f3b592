from typing import Literal

Grade = Literal["fail", "pass", "warning"]

GRADE_VALUES: set[Grade] = {
    "fail",
    "pass",
    "warning",
}


def check_grade(value: str) -> Grade:
    if value in GRADE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GRADE_VALUES!r}")
