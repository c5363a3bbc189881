"""Audio answered as a URL (MiniMax `output_format: "url"`): files under the data dir, one
folder per organisation, each reachable by its own organisation's key or through a URL signed
with a key only this deployment holds. Both expire with the file, as MiniMax's links do, so
clients that download the link without credentials (players, MCP tools) work unchanged."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from reef.engine.speech import AudioFormat
from reef.platform.clock import Clock

AUDIO_DIR = "speech-audio"
SIGNING_KEY_FILE = ".url-signing-key"
_SIGNING_KEY_BYTES = 32
_FILE_ID_BYTES = 16
_NAME = re.compile(
    rf"^[0-9a-f]{{{_FILE_ID_BYTES * 2}}}\.({'|'.join(f.value for f in AudioFormat)})$"
)


@dataclass(frozen=True)
class StoredAudio:
    """A saved file: its owner, name (`<id>.<format>`) and expiry (unix seconds)."""

    org_id: int
    name: str
    expires: int


def audio_format_of(name: str) -> AudioFormat:
    return AudioFormat(name.rsplit(".", 1)[1])


class SpeechFileStore:
    """Org-scoped audio files with signed, expiring links. Methods block on the disk: call them
    from a worker thread."""

    def __init__(self, root: Path, ttl_s: float, *, clock: Clock = time.time) -> None:
        self.root = root
        self.ttl_s = ttl_s
        self._clock = clock
        self._key: bytes | None = None
        self._key_lock = threading.Lock()

    def save(self, org_id: int, audio: bytes, fmt: AudioFormat) -> StoredAudio:
        """Write the audio under a fresh unguessable name, first clearing this organisation's
        expired files (so a folder never holds more than one TTL's worth)."""
        folder = self._folder(org_id)
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep(folder)
        name = f"{secrets.token_hex(_FILE_ID_BYTES)}.{fmt.value}"
        partial = folder / f".{name}.partial"
        partial.write_bytes(audio)
        partial.replace(folder / name)
        return StoredAudio(org_id, name, int(self._clock() + self.ttl_s))

    def find(self, org_id: int, name: str) -> Path | None:
        """The file if it exists and has not expired (an expired one is deleted)."""
        if not _NAME.match(name):
            return None
        path = self._folder(org_id) / name
        try:
            written = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if written + self.ttl_s <= self._clock():
            path.unlink(missing_ok=True)
            return None
        return path

    def signed_query(self, stored: StoredAudio) -> str:
        """`expires=..&signature=..` for the file's URL."""
        signature = self._signature(stored.org_id, stored.name, stored.expires)
        return urlencode({"expires": stored.expires, "signature": signature})

    def signature_valid(self, org_id: int, name: str, expires: int, signature: str) -> bool:
        if expires <= self._clock():
            return False
        return hmac.compare_digest(self._signature(org_id, name, expires), signature)

    def _signature(self, org_id: int, name: str, expires: int) -> str:
        message = f"{org_id}/{name}/{expires}".encode()
        return hmac.new(self._signing_key(), message, hashlib.sha256).hexdigest()

    def _signing_key(self) -> bytes:
        """Made once per data dir and kept there, so links survive restarts and replicas
        sharing the data dir (which they need to serve its files anyway) agree."""
        with self._key_lock:
            if self._key is None:
                self._key = self._load_or_create_key()
            return self._key

    def _load_or_create_key(self) -> bytes:
        """Create-if-absent by hard link: whoever links first wins and everyone reads that."""
        path = self.root / SIGNING_KEY_FILE
        self.root.mkdir(parents=True, exist_ok=True)
        candidate = self.root / f".{SIGNING_KEY_FILE}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(_SIGNING_KEY_BYTES))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
        key = path.read_bytes()
        if len(key) != _SIGNING_KEY_BYTES:
            raise RuntimeError(f"{path} is damaged; delete it to issue new audio links")
        return key

    def _folder(self, org_id: int) -> Path:
        return self.root / str(org_id)

    def _sweep(self, folder: Path) -> None:
        cutoff = self._clock() - self.ttl_s
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue
