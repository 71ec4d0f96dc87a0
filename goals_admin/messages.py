"""Django's messages, with each request's store of them made only when the request uses it.

Most requests never do (every API request, and a page that neither shows nor adds a message),
and making the store costs a cookie signer derived from SECRET_KEY: some 4% of a repeated API
read.
"""

from typing import Any

from django.contrib.messages import middleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class MessageMiddleware(middleware.MessageMiddleware):
    def process_request(self, request: Any) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request: Any, response: Any) -> Any:
        stored = getattr(request, "_messages", None)
        if isinstance(stored, SimpleLazyObject) and stored._wrapped is empty:
            return response  # never made, so nothing was read or added
        return super().process_response(request, response)
