"""What can go wrong when talking to Moodle, as typed exceptions.

Moodle answers its own errors with HTTP 200 and a JSON body
`{"exception", "errorcode", "message"[, "debuginfo"]}`; transport faults (timeouts, refused
connections, 5xx) never reach Moodle's code. The two are kept apart because only transport
faults may be retried: a Moodle error is a verdict on the request and repeating it changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MoodleError(Exception):
    """Any failure of a call to Moodle. `function` names the web service function."""

    def __init__(self, message: str, *, function: str | None = None) -> None:
        super().__init__(message)
        self.function = function

    @property
    def code(self) -> str:
        """A short, stable code for reports: Moodle's errorcode or the kind of fault."""
        return type(self).__name__


# --- transport -----------------------------------------------------------------------------


class MoodleTransportError(MoodleError):
    """The call did not get an answer from Moodle's code; retrying may help.

    After such a fault on a write, the write may or may not have been applied.
    """

    @property
    def code(self) -> str:
        return "transport"


class MoodleTimeout(MoodleTransportError):
    """No answer within the configured timeout."""


class MoodleConnectionError(MoodleTransportError):
    """Moodle could not be reached, or the connection broke mid-call."""


class MoodleHTTPError(MoodleError):
    """An HTTP status other than 200 (a wrong URL, a proxy refusing the call…)."""

    def __init__(self, message: str, *, status: int, function: str | None = None) -> None:
        super().__init__(message, function=function)
        self.status = status

    @property
    def code(self) -> str:
        return f"http{self.status}"


class MoodleServerError(MoodleHTTPError, MoodleTransportError):
    """HTTP 5xx (or 429): the server is overloaded or failing; retrying may help."""


class MoodleDecodeError(MoodleError):
    """An answer that is not the JSON Moodle sends (an HTML error page, a truncated body)."""

    @property
    def code(self) -> str:
        return "badanswer"


# --- Moodle's own errors -------------------------------------------------------------------


class MoodleException(MoodleError):
    """An error reported by Moodle itself (HTTP 200 with an `exception` body)."""

    def __init__(
        self,
        *,
        function: str | None,
        exception: str,
        errorcode: str | None,
        message: str,
        debuginfo: str | None = None,
    ) -> None:
        shown = f"{function}: " if function else ""
        code = errorcode if errorcode is not None else exception
        text = f"{shown}{message} ({code})"
        if debuginfo:
            text += f" [{debuginfo}]"
        super().__init__(text, function=function)
        self.exception = exception
        self.errorcode = errorcode
        self.message = message
        self.debuginfo = debuginfo

    @property
    def code(self) -> str:
        return self.errorcode if self.errorcode is not None else self.exception

    @property
    def concerns_items(self) -> bool:
        """True when the error may come from one item of a batch (worth isolating)."""
        return True


class InvalidToken(MoodleException):
    """The token is unknown, expired or restricted to other addresses."""

    @property
    def concerns_items(self) -> bool:
        return False


class FunctionNotAvailable(MoodleException):
    """The function does not exist or is not in the token's external service."""

    @property
    def concerns_items(self) -> bool:
        return False


class AccessDenied(MoodleException):
    """The web service user lacks a capability, or web services are disabled."""

    @property
    def concerns_items(self) -> bool:
        # A missing capability may hold in one category and not another; the rest may not.
        return self.errorcode == "nopermissions"


class InvalidParameter(MoodleException):
    """Moodle's generic `invalidparameter`: many different faults answer it alike."""


class PhpError(MoodleException):
    """A PHP error escaped Moodle's handling: `{"exception": "Error"}` without errorcode."""


class MissingFunctions(MoodleError):
    """The token's external service lacks functions that jonction needs."""

    def __init__(self, missing: list[str], *, service_user: str | None = None) -> None:
        names = ", ".join(missing)
        whose = f" (web service user {service_user!r})" if service_user else ""
        super().__init__(
            f"the token's Moodle external service{whose} lacks {len(missing)} "
            f"function(s) that jonction needs: {names}. Add them to the external service "
            "(Site administration > Server > Web services > External services).",
            function="core_webservice_get_site_info",
        )
        self.missing = missing

    @property
    def code(self) -> str:
        return "missingfunctions"


_NOT_ITEM_LEVEL_CODES = {
    "invalidtoken": InvalidToken,
    "accessexception": FunctionNotAvailable,
    "servicerequireslogin": InvalidToken,
    "sitemaintenance": AccessDenied,
    "usernotfullysetup": AccessDenied,
    "enablewsdescription": AccessDenied,
    "nopermissions": AccessDenied,
    "invalidparameter": InvalidParameter,
}


def error_from_payload(
    function: str | None, payload: Mapping[str, Any], *, redact: str | None = None
) -> MoodleException:
    """The typed exception for Moodle's error body; `redact` is removed from every text."""

    def text(key: str) -> str | None:
        value = payload.get(key)
        if value is None:
            return None
        shown = str(value)
        if redact:
            shown = shown.replace(redact, "***")
        return shown

    exception = text("exception") or "unknown"
    errorcode = text("errorcode")
    message = text("message") or ""
    debuginfo = text("debuginfo")
    cls: type[MoodleException] = MoodleException
    if errorcode is None:
        cls = PhpError
    elif errorcode in _NOT_ITEM_LEVEL_CODES:
        cls = _NOT_ITEM_LEVEL_CODES[errorcode]
    elif errorcode == "invalidrecord" and "external_functions" in message:
        # What Moodle says for a function name it does not know at all.
        cls = FunctionNotAvailable
    elif exception == "webservice_access_exception":
        cls = FunctionNotAvailable
    elif exception == "required_capability_exception":
        cls = AccessDenied
    return cls(
        function=function,
        exception=exception,
        errorcode=errorcode,
        message=message,
        debuginfo=debuginfo,
    )
