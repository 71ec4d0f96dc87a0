from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        # Connect their signals: the API forgets remembered users and tokens, and a goal's
        # history records the door of each change.
        from goals import history  # noqa: F401
        from goals.api import authentication  # noqa: F401
