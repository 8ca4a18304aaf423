"""Errors: bad input (told to the user in Chinese, the batch goes on) versus bugs."""


class NianbaoError(Exception):
    """Base of every error nianbao raises on purpose."""


class ReadError(NianbaoError):
    """A file could not be read as a report. The message is one Chinese sentence naming the problem;
    the CLI prefixes the file name."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}：{self.message}" if self.path else self.message


class UsageError(NianbaoError):
    """The user asked for something impossible (bad option, missing path)."""
