"""Cosine similarity of a query vector to every tool's stored unit vector (one matrix-vector
product: a tenth of a millisecond for thousands of 384-dimension vectors).

The product runs on one BLAS thread: OpenBLAS's worker threads spin at barriers, and on a
busy machine waking them costs tens of milliseconds, a hundred times the work itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

VECTOR_DTYPE = np.float32
_THREADPOOLS = ThreadpoolController()  # finds numpy's BLAS once (a scan per call costs ~1 ms)


def vector_bytes(vector: Sequence[float]) -> bytes:
    """A vector as stored: little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(VECTOR_DTYPE)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(VECTOR_DTYPE)


class SemanticIndex:
    def __init__(self, vectors: np.ndarray) -> None:
        self._matrix = unit_rows(np.asarray(vectors, dtype=VECTOR_DTYPE))

    @property
    def dimensions(self) -> int:
        return int(self._matrix.shape[1])

    def scores(self, query_vector: Sequence[float] | np.ndarray) -> np.ndarray:
        query = np.asarray(query_vector, dtype=VECTOR_DTYPE)
        norm = float(np.linalg.norm(query))
        if norm == 0 or query.shape[0] != self._matrix.shape[1]:
            return np.zeros(self._matrix.shape[0], dtype=VECTOR_DTYPE)
        with _THREADPOOLS.limit(limits=1, user_api="blas"):
            scores = self._matrix @ (query / norm)
        return np.asarray(scores, dtype=VECTOR_DTYPE)
