import codecs
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# No field takes a number this long; refusing it early keeps Python's own limit (4,300 digits)
# and its advice to raise that limit out of the answers.
MAX_INTEGER_DIGITS = 20


def parse_bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"numbers may have at most {MAX_INTEGER_DIGITS} digits")
    return int(digits)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a plain 400 for numbers too long and nesting too deep."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_int=parse_bounded_int)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
