from reef.engine.speech.sentences import split_sentences


def test_splits_at_sentence_ends_and_line_breaks() -> None:
    text = 'Hello there. How are you?  I am fine! "Quoted."\nA new line'
    assert split_sentences(text, 200) == [
        "Hello there.",
        "How are you?",
        "I am fine!",
        '"Quoted."',
        "A new line",
    ]


def test_keeps_abbreviations_initials_and_decimals_inside_a_sentence() -> None:
    text = "Mr. Smith met Dr. Jones at 3.5 miles. J. R. R. Tolkien wrote it."
    assert split_sentences(text, 200) == [
        "Mr. Smith met Dr. Jones at 3.5 miles.",
        "J. R. R. Tolkien wrote it.",
    ]


def test_cjk_terminators_split_without_spaces() -> None:
    bang = "\uff01"  # full-width exclamation mark
    text = f"你好。我很好{bang}谢谢"
    assert split_sentences(text, 200) == ["你好。", f"我很好{bang}", "谢谢"]


def test_long_sentences_split_at_clauses_then_words_within_the_limit() -> None:
    clause = "this clause has several words in it"
    text = ", ".join([clause] * 6) + "."
    pieces = split_sentences(text, 80)
    assert len(pieces) > 1
    assert all(len(p) <= 80 for p in pieces)
    assert " ".join(pieces).replace(" ", "") == text.replace(" ", "")
    words = " ".join(["word"] * 60)
    assert all(len(p) <= 50 for p in split_sentences(words, 50))


def test_punctuation_only_text_has_nothing_to_speak() -> None:
    assert split_sentences("... !! ?", 100) == []
