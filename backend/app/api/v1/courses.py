"""GET /courses: the catalog (imported with `python -m app.cli import-courses`)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, SessionDep
from app.api.schemas import CourseOut, error_responses
from app.db import repository

router = APIRouter(tags=["courses"])


@router.get("/courses", response_model=list[CourseOut], responses=error_responses(401, 503))
async def courses(_: CurrentUser, session: SessionDep) -> list[CourseOut]:
    return [CourseOut.model_validate(c) for c in await repository.list_courses(session)]
