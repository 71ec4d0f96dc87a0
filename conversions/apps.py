from django.apps import AppConfig


class ConversionsConfig(AppConfig):
    name = "conversions"

    def ready(self) -> None:
        # Connects the receiver that keeps a changed goal's conversions current.
        from conversions import jobs  # noqa: F401
