from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class AlwaysJSON(DefaultContentNegotiation):
    """Answer JSON whatever the Accept header asks for: it is the only thing the API speaks."""

    def select_renderer(
        self, request: Any, renderers: list, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type
