"""Ratings of search results, 1-10, accepted only with the feedback token of that search."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import ErrorBody, FeedbackRequest, FeedbackStored

router = APIRouter(prefix="/api", tags=["feedback"], dependencies=[Depends(require_token)],
                   responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody},
                              403: {"model": ErrorBody}, 404: {"model": ErrorBody}})


@router.post("/feedback", response_model=FeedbackStored)
def feedback(body: FeedbackRequest, library=Depends(dependencies.library),
             tokens=Depends(dependencies.feedback_tokens)) -> FeedbackStored:
    """Rate one photo of a search's results; the token comes with the search's answer.
    Later searches for that query, or one like it, rank photos like the good ones higher."""
    tokens.check(body.token, body.query_id, body.photo_id)
    photo = library.photo_by_id(body.photo_id)  # a photo removed since the search is a 404
    library.feedback(body.query_id, photo.path, body.rating)
    return FeedbackStored(query_id=body.query_id, photo_id=body.photo_id, rating=body.rating)
