"""Request and response bodies, typed: FastAPI validates them and writes the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class ErrorBody(BaseModel):
    error: str = Field(description="what went wrong, in a few words")
    detail: str = Field(description="one line a person can act on")


class Health(BaseModel):
    status: str = "ok"


class Status(BaseModel):
    photos: int
    folders: list[str]
    model: str
    device: str | None
    precision: str | None
    index_bytes: int
    version: str


class SearchRequest(_Body):
    query: str = Field(min_length=1, max_length=2000, examples=["a dog on the beach"])
    k: int = Field(5, ge=1, le=100, description="how many results")
    folder: str | None = Field(None, description="only photos below this library folder "
                                                 "(a path, or a folder's name)")
    after: datetime | None = Field(None, description="taken at or after (ISO 8601)")
    before: datetime | None = Field(None, description="taken before (ISO 8601)")
    type: list[str] = Field([], max_length=20, description="file types, e.g. [\"jpg\", \"heic\"]")
    camera: list[str] = Field([], max_length=20, description="cameras whose make or model "
                              "contains any of these, in any case, e.g. [\"pixel\"]")
    has_location: bool = Field(False, description="only photos with a GPS position")
    near: str | None = Field(None, max_length=200, description="a city or LAT,LON, with an "
                             "optional ~RADIUS (default 25 km), e.g. \"paris~50km\"")
    all: bool = Field(False, description="include matches below the relevance threshold")
    auto_folder: bool = Field(True, description="a library folder named in the query scopes it")
    sort: Literal["relevance", "date", "name"] = Field(
        "relevance", description="order of the results: best match first, date taken (newest "
                                 "first) or file name")


class Hit(BaseModel):
    id: str
    path: str
    folder: str
    score: float = Field(description="cosine similarity to the query")
    distance: float = Field(description="L2 distance between the unit vectors")
    width: int
    height: int
    taken_at: datetime
    camera: str | None = Field(None, description="make and model from EXIF")
    location: list[float] | None = Field(None, description="[latitude, longitude] from EXIF GPS")


class SearchResponse(BaseModel):
    query_id: str
    results: list[Hit]
    weaker: int = Field(0, description="matches below the relevance bar, left out (all: shown)")
    indexed: int = Field(description="photos in the index (0: nothing indexed yet)")
    auto_folders: list[str] = Field([], description="folders the query named, which scoped it")
    feedback_token: str = Field(description="send with /api/feedback to rate these results")
    took_ms: float


class ImageResults(BaseModel):
    """The search of one uploaded image: its own query id and feedback token."""

    image: str = Field(description="the uploaded file's name")
    query_id: str
    results: list[Hit]
    feedback_token: str


class EachSearchResponse(BaseModel):
    """``each=true``: one result list per uploaded image."""

    groups: list[ImageResults]
    took_ms: float


class EmbedText(_Body):
    text: str = Field(min_length=1, max_length=2000)


class Embedding(BaseModel):
    model: str
    vector: list[float]


class FeedbackRequest(_Body):
    query_id: str = Field(min_length=1, max_length=100)
    photo_id: str = Field(min_length=1, max_length=100)
    rating: int = Field(ge=1, le=10)
    token: str = Field(min_length=1, max_length=20_000)


class FeedbackStored(BaseModel):
    query_id: str
    photo_id: str
    rating: int


class PhotoInfo(BaseModel):
    id: str
    path: str
    folder: str
    size: int
    width: int
    height: int
    taken_at: datetime
    camera: str | None = Field(None, description="make and model from EXIF")
    location: list[float] | None = Field(None, description="[latitude, longitude] from EXIF GPS")


class IndexRequest(_Body):
    paths: list[str] = Field(min_length=1, max_length=100, description="folders on this computer")


class Problem(BaseModel):
    path: str
    reason: str


class IndexSummary(BaseModel):
    added: list[str]
    updated: list[str]
    removed: list[str]
    problems: list[Problem]
    photos: int
