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
    The rating is kept in the user store with the query, for re-ranking later searches."""
    claims = tokens.check(body.token, body.query_id, body.photo_id)
    photo = library.photo(body.photo_id)  # a photo removed since the search is a 404
    text = claims.get("q") or ""
    vector = library.embed(text=text) if text else None
    library.user_data.add_feedback(body.query_id, text, vector, photo, body.rating)
    return FeedbackStored(query_id=body.query_id, photo_id=body.photo_id, rating=body.rating)
