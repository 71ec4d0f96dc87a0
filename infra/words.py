"""Lists in the sentences that pages, the Django admin and commands say."""

from collections.abc import Sequence

NAMES_SHOWN = 10


def listed(items: Sequence[str]) -> str:
    """The first NAMES_SHOWN items, commas between, then how many more: "a, b and 3 more"."""
    said = ", ".join(items[:NAMES_SHOWN])
    if len(items) > NAMES_SHOWN:
        said += f" and {len(items) - NAMES_SHOWN} more"
    return said


def quoted_names(names: Sequence[str]) -> str:
    """The names in curly quotes, as listed() lists them: “Pricing”, “Paid” and 3 more."""
    return listed([f"“{name}”" for name in names])
