"""An app server's own memory of things that are cheap to learn again."""

from typing import Any


class ForgetfulDict(dict):
    """A dict that starts again empty when it would pass max_items, so it never grows past them;
    what it forgets costs at most one more lookup each."""

    def __init__(self, max_items: int) -> None:
        super().__init__()
        self.max_items = max_items

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.max_items and key not in self:
            self.clear()
        super().__setitem__(key, value)
