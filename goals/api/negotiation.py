from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class AlwaysJSON(DefaultContentNegotiation):
    """Pick the first renderer, whatever the Accept header asks for."""

    def select_renderer(
        self, request: Any, renderers: list, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type
