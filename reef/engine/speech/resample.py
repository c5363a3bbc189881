"""Sample-rate conversion with libswresample (bundled in PyAV's wheel), one-shot or streamed."""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


class StreamResampler:
    """Converts mono float audio chunk by chunk, keeping the filter state between chunks so
    sentence boundaries in a stream leave no clicks; `flush` returns the filter's tail."""

    def __init__(self, source_rate: int, target_rate: int) -> None:
        self.source_rate = source_rate
        self.target_rate = target_rate
        self._resampler = (
            None
            if source_rate == target_rate
            else av.AudioResampler(format="flt", layout="mono", rate=target_rate)
        )
        self._pts = 0

    def convert(self, samples: FloatArray) -> FloatArray:
        if self._resampler is None or samples.size == 0:
            return samples.astype(np.float32, copy=False)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout="mono",
        )
        frame.sample_rate = self.source_rate
        frame.pts = self._pts
        self._pts += samples.size
        return _join(self._resampler.resample(frame))

    def flush(self) -> FloatArray:
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return _join(self._resampler.resample(None))


def resample(samples: FloatArray, source_rate: int, target_rate: int) -> FloatArray:
    """Convert a whole mono signal from `source_rate` to `target_rate`."""
    converter = StreamResampler(source_rate, target_rate)
    return np.concatenate([converter.convert(samples), converter.flush()])


def _join(frames: list[av.AudioFrame]) -> FloatArray:
    if not frames:
        return np.zeros(0, np.float32)
    return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames]).astype(np.float32)
