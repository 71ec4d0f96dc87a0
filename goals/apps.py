from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        # Connects the signals that make the API forget remembered users and tokens.
        from goals.api import authentication  # noqa: F401
