"""Who may call the API: a bearer token kept in the data folder, readable by this user only,
and the signed feedback tokens that bind a rating to the search that showed the photo."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from photofinder.api.server import TOKEN_FILE
from photofinder.errors import StoreError

SECRET_FILE = "api-secret"  # signs feedback tokens; never leaves this computer
FEEDBACK_SECONDS = 24 * 3600  # a search's results may be rated for a day
_ALGORITHM = "HS256"


def read_or_create_secret(file: Path) -> str:
    """A random 256-bit value stored in ``file`` (mode 0600), made on first use."""
    try:
        return file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return file.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise StoreError(f"cannot create {file}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(value + "\n")
    return value


def api_token(data_dir: Path) -> str:
    """The token every request but the health check must carry (``photofinder api-token``)."""
    return read_or_create_secret(data_dir / TOKEN_FILE)


_bearer = HTTPBearer(auto_error=False)


def require_token(request: Request,
                  credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """The one auth dependency: a missing or wrong bearer token is a 401."""
    expected: str = request.app.state.token
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(),
                                                         expected.encode()):
        raise HTTPException(401, "a valid 'Authorization: Bearer TOKEN' header is required "
                                 "(photofinder api-token shows the token)",
                            headers={"WWW-Authenticate": "Bearer"})


class FeedbackTokens:
    """JWTs (HMAC-SHA256 with the install's secret) naming a query and the photos it showed."""

    def __init__(self, secret: str, lifetime: float = FEEDBACK_SECONDS):
        self._secret = secret
        self._lifetime = lifetime

    def issue(self, query_id: str, photo_ids: list[str]) -> str:
        now = int(time.time())
        claims = {"qid": query_id, "ids": photo_ids, "iat": now, "exp": now + int(self._lifetime)}
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def check(self, token: str, query_id: str, photo_id: str) -> None:
        """HTTP 403 unless ``token`` is ours, unexpired, for this query and shows this photo."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[_ALGORITHM],
                                options={"require": ["exp", "qid", "ids"]})
        except jwt.ExpiredSignatureError as exc:
            raise HTTPException(403, "the feedback token has expired: search again") from exc
        except jwt.InvalidTokenError as exc:
            raise HTTPException(403, "the feedback token is not valid") from exc
        if claims["qid"] != query_id:
            raise HTTPException(403, "the feedback token belongs to another query")
        if photo_id not in claims["ids"]:
            raise HTTPException(403, "that photo was not among this query's results")
