from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self) -> None:
        # Connects the receiver that forgets a deleted site's cached look-up.
        from tracking import selectors  # noqa: F401
