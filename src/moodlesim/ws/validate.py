"""external_api::validate_parameters: the structure, types, required keys and defaults."""

from __future__ import annotations

from typing import Any

from ..php.params import InvalidValue, validate_value
from .errors import INVALID_PARAMETER_MESSAGE, MoodleError, invalid_parameter
from .spec import DEFAULT, REQUIRED, Multiple, Node, Single, Value


def _print_r(value: Any) -> str:
    if isinstance(value, dict):
        return "Array"
    return "" if value is None else str(value)


def _value(node: Value, value: Any) -> Any:
    if isinstance(value, dict):
        raise invalid_parameter("Scalar type expected, array or object received.")
    try:
        return validate_value(value, node.type, node.allownull)
    except InvalidValue:
        shown = "" if value is None else value
        raise invalid_parameter(
            f'Invalid external api parameter: the value is "{shown}", '
            f'the server was expecting "{node.type}" type'
        ) from None


def _wrap(key: str, error: MoodleError) -> MoodleError:
    return invalid_parameter(f"{key} => {INVALID_PARAMETER_MESSAGE}: {error.debuginfo}")


def _single(node: Single, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise invalid_parameter(f"Only arrays accepted. The bad value is: '{_print_r(params)}'")
    remaining = dict(params)
    result: dict[str, Any] = {}
    for key, sub in node.keys.items():
        if key not in remaining:
            if sub.required == REQUIRED:
                raise invalid_parameter(f"Missing required key in single structure: {key}")
            if sub.required == DEFAULT:
                try:
                    result[key] = validate(sub, sub.default)
                except MoodleError as error:
                    raise _wrap(key, error) from None
            continue
        try:
            result[key] = validate(sub, remaining.pop(key))
        except MoodleError as error:
            raise _wrap(key, error) from None
    if remaining:
        names = ", ".join(str(name) for name in remaining)
        raise invalid_parameter(f"Unexpected keys ({names}) detected in parameter array.")
    return result


def _multiple(node: Multiple, params: Any) -> list[Any]:
    if params is None or params == []:
        return []
    if not isinstance(params, dict):
        raise invalid_parameter(f"Only arrays accepted. The bad value is: '{_print_r(params)}'")
    return [validate(node.content, item) for item in params.values()]


def validate(node: Node, params: Any) -> Any:
    """The cleaned parameters, or MoodleError(invalidparameter) with Moodle's debuginfo."""
    if isinstance(node, Value):
        return _value(node, params)
    if isinstance(node, Single):
        if params == []:
            params = {}
        return _single(node, params)
    return _multiple(node, params)
