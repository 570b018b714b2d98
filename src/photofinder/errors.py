"""Expected problems, as typed exceptions with a message a person can act on.

Anything that is not a ``PhotofinderError`` is a bug and is shown as one.
"""


OFFLINE_HINT = (  # said by command-line errors; the window offers a file chooser instead
    "Download them elsewhere and point photofinder at the file with --weights, "
    "the settings, or PHOTOFINDER_WEIGHTS."
)


class PhotofinderError(Exception):
    """A routine problem: its message is one plain, actionable line."""

    exit_code = 1  # the CLI's exit status when this stops a command


class ImageError(PhotofinderError):
    """A file could not be read as a photo (corrupt, truncated, too big, not an image)."""


class NotAnImage(ImageError):
    """The data is no image format photofinder reads (a text file, a PDF)."""


class ImageTooLarge(ImageError):
    """The image has more pixels than photofinder decodes (a decompression bomb, or a huge scan)."""


class ModelError(PhotofinderError):
    """The model could not be created or its weights could not be loaded."""


class DownloadError(ModelError):
    """Model weights could not be downloaded (offline, server error, disk full).
    ``source`` (a weights.WeightsSource), when set, says which file to fetch by hand."""

    source = None


class DownloadCancelled(DownloadError):
    """The user cancelled a weights download; the partial file is kept for resuming."""


class StoreError(PhotofinderError):
    """The index could not be read or written (read-only folder, disk full, locked)."""


class IndexDamaged(StoreError):
    """The index on disk is damaged (a file missing, cut short or changed, versions gone):
    ``photofinder repair`` rolls it back or rebuilds it; user data is not in it."""

    exit_code = 4

    def __init__(self, message: str, can_roll_back: bool = True):
        super().__init__(message)
        self.can_roll_back = can_roll_back  # False: no older version would help (the schema)


class ReadOnlyError(StoreError):
    """A change was asked of a library that is open read-only (read-only disk, disk full);
    nothing was changed."""


class QueryError(PhotofinderError):
    """A search could not be run as asked (empty text, unreadable query image)."""


def os_error_reason(error: OSError, thing: str = "file") -> str:
    """A one-line reason for a failed file-system call, in words a person can act on."""
    if isinstance(error, FileNotFoundError):
        return f"{thing} vanished"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return error.strerror or str(error) or type(error).__name__


class NotFoundError(QueryError):
    """Something a query names does not exist: a file, a folder, a photo, a query id."""
