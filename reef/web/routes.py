"""The companion chat page: `GET /` and `GET /chat` answer the page, `GET /static/{name}` its
assets. Plain files shipped inside the package (no build step); only names found in the static
folder at import time are served, so no request can reach another file."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse

from reef.errors import NotFound

STATIC_DIR: Final = Path(__file__).parent / "static"
PAGE_NAME: Final = "index.html"

MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

# Everything the page needs comes from this server; the policy makes the browser refuse the rest.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PAGE_HEADERS: Final = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    # Assets are small and change with releases; revalidating keeps an upgraded page coherent.
    "cache-control": "no-cache",
}


def _asset_paths() -> dict[str, Path]:
    """The servable files, by name."""
    return {
        path.name: path
        for path in STATIC_DIR.iterdir()
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


ASSETS: Final = _asset_paths()

router = APIRouter(tags=["web"], include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise NotFound(
            f"There is no web asset named '{name}'.", param="name", code="asset_not_found"
        )
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=PAGE_HEADERS)


@router.get("/")
async def home_page() -> FileResponse:
    return _file(PAGE_NAME)


@router.get("/chat")
async def chat_page() -> FileResponse:
    return _file(PAGE_NAME)


@router.get("/static/{name}")
async def static_asset(name: str) -> FileResponse:
    return _file(name)
