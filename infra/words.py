"""Lists in the sentences that pages, the Django admin and commands say."""

from collections.abc import Sequence

NAMES_SHOWN = 10


def quoted_names(names: Sequence[str]) -> str:
    """The names in curly quotes, the first NAMES_SHOWN of them, then how many more:
    “Pricing”, “Paid” and 3 more."""
    listed = ", ".join(f"“{name}”" for name in names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        listed += f" and {len(names) - NAMES_SHOWN} more"
    return listed
