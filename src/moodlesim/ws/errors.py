"""Moodle's exceptions as a web service client receives them."""

from __future__ import annotations


class MoodleError(Exception):
    """An exception Moodle's REST server turns into {exception, errorcode, message[, debuginfo]}.

    `errorcode` is None for PHP errors (class `Error`), which carry no errorcode at all.
    """

    def __init__(
        self,
        exception: str,
        errorcode: str | None,
        message: str,
        debuginfo: str | None = None,
    ) -> None:
        super().__init__(message)
        self.exception = exception
        self.errorcode = errorcode
        self.message = message
        self.debuginfo = debuginfo


INVALID_PARAMETER_MESSAGE = "Invalid parameter value detected"


def invalid_parameter(debuginfo: str) -> MoodleError:
    """invalid_parameter_exception: the reason only shows in debuginfo."""
    return MoodleError(
        "invalid_parameter_exception", "invalidparameter", INVALID_PARAMETER_MESSAGE, debuginfo
    )


def moodle_exception(errorcode: str, message: str, debuginfo: str | None = None) -> MoodleError:
    return MoodleError("moodle_exception", errorcode, message, debuginfo)


def missing_record(table: str, debuginfo: str | None = None) -> MoodleError:
    return MoodleError(
        "dml_missing_record_exception",
        "invalidrecord",
        f"Can't find data record in database table {table}.",
        debuginfo or f"SELECT * FROM {{{table}}} WHERE id = ?",
    )


def coding_error(reason: str, debuginfo: str | None = None) -> MoodleError:
    return MoodleError(
        "coding_exception",
        "codingerror",
        f"Coding error detected, it must be fixed by a programmer: {reason}",
        debuginfo,
    )


def write_error(debuginfo: str) -> MoodleError:
    return MoodleError(
        "dml_write_exception", "dmlwriteexception", "Error writing to database", debuginfo
    )


def php_error(message: str) -> MoodleError:
    """A PHP Error (not a Moodle exception): no errorcode key in the answer."""
    return MoodleError("Error", None, message)


def context_missing() -> MoodleError:
    """What validate_context says of a context that does not exist."""
    return invalid_parameter("Context does not exist")


def course_context_invalid(courseid: int) -> MoodleError:
    return moodle_exception(
        "errorcoursecontextnotvalid",
        f"You cannot execute functions in the course context (course id:{courseid}). "
        f"The context error message was: {INVALID_PARAMETER_MESSAGE}",
    )


def category_context_invalid(catid: int) -> MoodleError:
    return moodle_exception(
        "errorcatcontextnotvalid",
        f"You cannot execute functions in the category context (category id:{catid}). "
        f"The context error message was: {INVALID_PARAMETER_MESSAGE}",
    )


def invalid_param_named(name: str) -> MoodleError:
    return moodle_exception("errorinvalidparam", f'The param "{name}" is invalid.')
