"""One line per failure for the terminal: the underlying error's message (not a framework's
wrapper around it), with the SQL, driver boilerplate and every secret taken out, and what to do."""

from __future__ import annotations

import re

from arcadia_pipelines.failures.masking import mask_secrets

_DROP = [re.compile(r"\[SQL: .*", re.DOTALL),                          # statement and parameters: long, may hold data
         re.compile(r"\(Background on this error at: [^)]*\)"),
         re.compile(r"^(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*: ")]      # "sqlalchemy.exc.OperationalError: " prefixes

# What to do, by the error's class name (live exceptions and Dagster's serialized ones alike).
_HINTS = {
    "OperationalError": "check that the database is up and its URL is right",
    "InterfaceError": "check that the database is up and its URL is right",
    "ArgumentError": "check the database URL's form, e.g. postgresql://user:password@host:5432/db",
    "NoSuchModuleError": "check the database URL's scheme (postgresql://, sqlite:///)",
    "ModuleNotFoundError": "reinstall arcadia-pipelines with its dependencies (pip install -e .)",
}


def one_line(text: str) -> str:
    """Any text as one masked line."""
    for pattern in _DROP:
        text = pattern.sub("", text.strip())
    return mask_secrets(" ".join(text.split()))


def _described(cls_name: str, message: str, hint: str | None) -> str:
    line = one_line(message) or "(no message)"
    line = line if line.startswith(cls_name) else f"{cls_name}: {line}"
    hint = hint or _HINTS.get(cls_name)
    return f"{line}; {hint}" if hint else line


def exception_line(exc: BaseException, hint: str | None = None) -> str:
    """A live exception as one line: its class, message and (when known) what to do."""
    return _described(type(exc).__name__, str(exc), hint)


def _is_wrapper(cls_name: str) -> bool:
    return cls_name.startswith("Dagster")


def underlying(exc: BaseException) -> BaseException:
    """The first exception in `exc`'s chain that is not one of Dagster's wrappers around it."""
    err: BaseException | None = exc
    while err is not None:
        if not _is_wrapper(type(err).__name__):
            return err
        err = err.__cause__ or err.__context__
    return exc


def error_info_line(info, hint: str | None = None) -> str:
    """A Dagster `SerializableErrorInfo` as one line: the first error in its chain that is not one
    of Dagster's wrappers ("Error occurred while executing op ..."), i.e. what our code raised."""
    chain, err = [], info
    while err is not None:
        chain.append(err)
        err = err.cause or err.context
    cause = next((e for e in chain if not _is_wrapper(e.cls_name)), chain[0])
    return _described(cause.cls_name, cause.message, hint)
