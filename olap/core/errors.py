"""Error tree of olap: every error the product raises on purpose derives from OlapError."""

from __future__ import annotations


class OlapError(Exception):
    """Base of every deliberate olap error.

    `status` is the HTTP status a view answers with, `exit_code` the CLI's exit status.
    The message is a sentence meant for the person who can fix the cause.
    """

    status = 500
    exit_code = 1


class ConfigError(OlapError):
    """A setting is missing, unknown or has a value that cannot be used."""

    exit_code = 2


class UserInputError(OlapError):
    """A request, form field, command argument or file that cannot be accepted as given."""

    status = 400
    exit_code = 2


class ImportFileError(UserInputError):
    """An import file that cannot be read, or a row in it that is invalid."""


class PermissionDenied(OlapError):
    """The signed-in user may not do this."""

    status = 403
    exit_code = 2


class NotFound(OlapError):
    """The requested object does not exist, or its existence must not be revealed."""

    status = 404
    exit_code = 2


class Conflict(OlapError):
    """The request conflicts with the current state, such as a duplicate name."""

    status = 409
    exit_code = 2


class PluginError(OlapError):
    """A plugin could not be loaded or registered something that clashes with another plugin."""

    exit_code = 2


class ClickHouseError(OlapError):
    """An error raised by ClickHouse, keeping the server's numeric code and error name."""

    status = 502

    def __init__(self, message: str, code: int | None = None, name: str | None = None):
        super().__init__(message)
        self.code = code
        self.name = name


class ClickHouseUnavailable(ClickHouseError):
    """ClickHouse cannot be reached, or the embedded engine cannot be opened."""

    status = 503
    exit_code = 2


class EmbeddedEngineInUse(ClickHouseUnavailable):
    """The chdb data folder is already open in this process on another path, or in another process."""


class QueryTimeout(ClickHouseError):
    """A query ran longer than its time limit."""

    status = 504


class QueryLimitExceeded(ClickHouseError):
    """A query hit a row, byte or memory limit written into its SETTINGS clause."""

    status = 422


class JobError(OlapError):
    """A background job could not be scheduled or run."""
