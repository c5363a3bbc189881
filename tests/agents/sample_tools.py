"""A small, realistic tool catalogue (OpenAI function tools) shared by the tool search tests."""

from __future__ import annotations

from typing import Any


def function_tool(
    name: str, description: str, properties: dict[str, Any], required: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required or list(properties)[:1],
            },
        },
    }


def text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


TOOLS: list[dict[str, Any]] = [
    function_tool(
        "getWeatherForecast",
        "Get the weather forecast for a city for the next days.",
        {"city": text("City name"), "days": {"type": "integer", "description": "How many days"}},
    ),
    function_tool(
        "book_flight",
        "Book a plane ticket between two airports on a given date.",
        {
            "origin": text("IATA code of the departure airport"),
            "destination": text("IATA code of the arrival airport"),
            "date": text("Departure date, YYYY-MM-DD"),
            "cabin": {"type": "string", "enum": ["economy", "business", "first"]},
        },
    ),
    function_tool(
        "search_hotels",
        "Find hotel rooms available in a city for given check-in and check-out dates.",
        {"city": text("Where to stay"), "check_in": text("date"), "check_out": text("date")},
    ),
    function_tool(
        "send_email",
        "Send an email message to one or more recipients.",
        {"to": text("Recipient address"), "subject": text("Subject"), "body": text("Text")},
    ),
    function_tool(
        "create_calendar_event",
        "Create an event in the user's calendar with a title, start and end time.",
        {"title": text("Event title"), "start": text("ISO time"), "end": text("ISO time")},
    ),
    function_tool(
        "convert_currency",
        "Convert an amount of money from one currency to another at today's exchange rate.",
        {"amount": {"type": "number"}, "from": text("ISO 4217 code"), "to": text("ISO code")},
    ),
    function_tool(
        "translate_text",
        "Translate text into another language.",
        {"text": text("What to translate"), "target_language": text("Language code")},
    ),
    function_tool(
        "get_stock_price",
        "Look up the latest share price of a company on the stock market by ticker symbol.",
        {"ticker": text("Ticker symbol, e.g. AAPL")},
    ),
    function_tool(
        "calculate_mortgage_payment",
        "Compute the monthly payment of a home loan from principal, interest rate and term.",
        {
            "principal": {"type": "number"},
            "annual_rate": {"type": "number"},
            "years": {"type": "integer"},
        },
    ),
    function_tool(
        "order_food_delivery",
        "Order a meal from a restaurant for delivery to an address.",
        {"restaurant": text("Restaurant name"), "items": {"type": "array", "items": text("")}},
    ),
    function_tool(
        "play_music",
        "Play a song, album or playlist on the user's speakers.",
        {"query": text("Song, artist or playlist")},
    ),
    function_tool(
        "setAlarm",
        "Set an alarm clock to ring at a given time.",
        {"time": text("HH:MM"), "label": text("Alarm label")},
    ),
    function_tool(
        "web_search",
        "Search the internet and return the top result pages.",
        {"query": text("Search terms")},
    ),
    function_tool(
        "read_file",
        "Read the contents of a file from the local disk.",
        {"path": text("File path")},
    ),
    function_tool(
        "create_github_issue",
        "Open a new issue in a GitHub repository.",
        {"repo": text("owner/name"), "title": text("Issue title"), "body": text("Details")},
    ),
]

QUERIES: list[tuple[str, str]] = [
    ("will it rain in Paris tomorrow?", "getWeatherForecast"),
    ("I need a plane ticket from SFO to JFK on May 3", "book_flight"),
    ("find me a place to sleep in Rome next weekend", "search_hotels"),
    ("email my boss that I'm running late", "send_email"),
    ("put a meeting with Ana on my schedule at 3pm", "create_calendar_event"),
    ("how many euros is 200 dollars", "convert_currency"),
    ("say 'good morning' in Japanese", "translate_text"),
    ("what is Apple trading at right now", "get_stock_price"),
    ("monthly cost of a 300k home loan at 6% over 30 years", "calculate_mortgage_payment"),
    ("get me a pizza delivered from Luigi's", "order_food_delivery"),
    ("play some jazz", "play_music"),
    ("wake me up at 6:30", "setAlarm"),
    ("look up who won the 2018 world cup online", "web_search"),
    ("show me what's in notes.txt", "read_file"),
    ("file a bug in the reef repo about the crash", "create_github_issue"),
]
