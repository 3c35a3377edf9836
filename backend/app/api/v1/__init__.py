"""Version 1 routes, mounted under API_PREFIX."""

from fastapi import APIRouter

from app.api.v1 import auth, courses, health, history, model, predict, whatif

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(auth.router)
api_router.include_router(predict.router)
api_router.include_router(whatif.router)
api_router.include_router(history.router)
api_router.include_router(courses.router)
api_router.include_router(model.router)
