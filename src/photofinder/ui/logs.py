"""The window's log file, with Qt's own messages routed into it (after qutebrowser's qtlog)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LOG_NAME = "photofinder.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

qt_log = logging.getLogger("photofinder.qt")


def setup_logging(logs_dir: Path) -> Path:
    """Log photofinder's INFO and above to a rotating file; returns its path."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = logs_dir / LOG_NAME
    logger = logging.getLogger("photofinder")
    if any(getattr(h, "baseFilename", None) == str(log_file) for h in logger.handlers):
        return log_file
    root = logging.getLogger()
    for console in root.handlers:  # the terminal keeps the level it was given (-v or not)
        console.setLevel(max(console.level, root.level))
    handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_BYTES,
                                                   backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return log_file


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def install_qt_message_handler() -> None:
    qInstallMessageHandler(qt_message_handler)
