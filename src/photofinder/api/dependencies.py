"""What a router asks for: the library and the app's helpers, set on the app at start."""

from __future__ import annotations

from fastapi import Request

from photofinder.api.auth import FeedbackTokens
from photofinder.api.metrics import Metrics


def library(request: Request):
    return request.app.state.library


def metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def feedback_tokens(request: Request) -> FeedbackTokens:
    return request.app.state.feedback_tokens
