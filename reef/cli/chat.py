"""`reef chat`: a streaming terminal chat against a running Reef server."""

from __future__ import annotations

import sys
from typing import Any

import typer

from reef.cli.main import app

EXIT_COMMAND = "/exit"
RESET_COMMAND = "/reset"
NO_KEY_MESSAGE = (
    "No API key: pass --api-key or set REEF_API_KEY "
    "(the admin key is printed once by the first `reef serve`; `reef keys create` makes more)."
)


def _default_model() -> str:
    """The first chat model of the local catalogue (normally the server's too)."""
    from reef.engine.catalogue import Catalogue
    from reef.settings import Settings

    catalogue = Catalogue.load(Settings().catalogue)
    return next(spec.name for spec in catalogue if spec.kind == "chat")


def _default_base_url() -> str:
    from reef.settings import Settings

    settings = Settings()
    return f"http://{settings.host}:{settings.port}/v1"


def _stream_reply(client: Any, model: str, history: list[dict[str, str]]) -> str:
    stream = client.chat.completions.create(model=model, messages=history, stream=True)
    parts: list[str] = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text = chunk.choices[0].delta.content
            parts.append(text)
            sys.stdout.write(text)
            sys.stdout.flush()
    sys.stdout.write("\n")
    return "".join(parts)


@app.command()
def chat(
    model: str | None = typer.Option(None, help="model to talk to (default: first chat model)"),
    base_url: str | None = typer.Option(None, help="API base URL, e.g. http://127.0.0.1:8000/v1"),
    api_key: str | None = typer.Option(None, envvar="REEF_API_KEY", help="API key"),
    system: str | None = typer.Option(None, help="system prompt for the conversation"),
) -> None:
    """Chat in the terminal; replies stream as they are generated. /reset forgets, /exit quits."""
    if not api_key:
        typer.echo(NO_KEY_MESSAGE, err=True)
        raise typer.Exit(2)
    import openai

    client = openai.OpenAI(base_url=base_url or _default_base_url(), api_key=api_key)
    model = model or _default_model()
    opening = [{"role": "system", "content": system}] if system else []
    history: list[dict[str, str]] = list(opening)
    typer.echo(f"Chatting with {model}. {RESET_COMMAND} starts over, {EXIT_COMMAND} quits.")
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if line == EXIT_COMMAND:
            return
        if line == RESET_COMMAND:
            history = list(opening)
            continue
        if not line:
            continue
        history.append({"role": "user", "content": line})
        sys.stdout.write(f"{model}> ")
        try:
            reply = _stream_reply(client, model, history)
        except openai.APIError as exc:
            history.pop()
            typer.echo(f"\nerror: {exc}", err=True)
            continue
        history.append({"role": "assistant", "content": reply})
