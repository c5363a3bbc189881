"""The bundled model's tokenizer, used to size prompts and to name its end-of-turn tokens."""

from __future__ import annotations

from pathlib import Path

from llama_cpp import Llama

from reef.engine.catalogue import Catalogue

END_OF_TURN_MARKERS = ("<|im_end|>", "<|endoftext|>")
BAN_BIAS = -100.0


def bundled_model_path(model_name: str) -> Path:
    """The same GGUF file Reef serves, resolved through Reef's own built-in catalogue."""
    return Catalogue.load().get(model_name).resolved_path()


class ModelVocab:
    def __init__(self, gguf: Path) -> None:
        self._llama = Llama(model_path=str(gguf), vocab_only=True, verbose=False)

    def count(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=False))

    def end_of_turn_bias(self) -> dict[str, float]:
        """OpenAI `logit_bias` that bans every token ending a reply, so that both servers
        generate exactly `max_tokens` (a portable stand-in for llama.cpp's ignore_eos)."""
        ids = {self._llama.token_eos()}
        for marker in END_OF_TURN_MARKERS:
            tokens = self._llama.tokenize(marker.encode(), add_bos=False, special=True)
            if len(tokens) == 1:
                ids.add(tokens[0])
        return {str(token): BAN_BIAS for token in sorted(ids) if token >= 0}
