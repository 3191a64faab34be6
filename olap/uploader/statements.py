"""Split an xAPI request body into statements, keeping each statement's exact bytes.

The id of a statement without one is a hash of its raw bytes, and the same statement
must get the same id whether it arrives here or in a JSONL file. So the body is not
parsed and re-serialised: each array element is sliced out of the original text.
"""

from __future__ import annotations

import json

from olap.core.errors import UserInputError

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def split_statements(body: bytes) -> list[bytes]:
    """Return the raw bytes of each statement of a body holding one statement or an array."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserInputError(f"The request body is not valid UTF-8 (byte {err.start}).") from None
    text = text.strip(_WHITESPACE)
    if not text:
        raise UserInputError("The request body is empty; send one xAPI statement or an array of them.")
    if text[0] == "{":
        end = _value(text, 0)
        if _skip(text, end) != len(text):
            raise UserInputError("The request body has text after the end of the JSON value.")
        return [text.encode("utf-8")]
    if text[0] != "[":
        raise UserInputError("The request body must be a JSON object (one statement) or an array of statements.")

    statements = []
    position = _skip(text, 1)
    if position < len(text) and text[position] == "]":
        end = position + 1
    else:
        while True:
            if position >= len(text) or text[position] != "{":
                raise UserInputError(f"Statement {len(statements) + 1} of the array is not a JSON object.")
            end = _value(text, position)
            statements.append(text[position:end].encode("utf-8"))
            position = _skip(text, end)
            if position < len(text) and text[position] == ",":
                position = _skip(text, position + 1)
                continue
            if position < len(text) and text[position] == "]":
                end = position + 1
                break
            raise UserInputError(f"The array is malformed after statement {len(statements)}: expected ',' or ']'.")
    if _skip(text, end) != len(text):
        raise UserInputError("The request body has text after the end of the JSON value.")
    if not statements:
        raise UserInputError("The array holds no statements.")
    return statements


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _value(text: str, position: int) -> int:
    try:
        _parsed, end = _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as err:
        raise UserInputError(f"The request body is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}.") from None
    return end
