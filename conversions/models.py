"""Chats, page views, the touches read from the chats, and the conversions credited to them.

Every table carries account_id and every key includes it, so that the tables can be distributed
by account without a redesign (../DESIGN.md, "Scale shape"). Ids are the client's, unique within
the account. No table refers to a chat or a goal with a foreign key: a chat is replaced as a
whole when it is sent again, and a deleted goal's conversions keep its id and name.
"""

from django.db import models

from accounts.models import Account

ID_MAX_LENGTH = 255
NAME_MAX_LENGTH = 255
URL_MAX_LENGTH = 4096
TITLE_MAX_LENGTH = 1024


class Chat(models.Model):
    """A Zendesk Chat chat object, kept as sent, with the fields attribution reads."""

    pk = models.CompositePrimaryKey("account_id", "chat_id")
    # Its own index would repeat the primary key's first column.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    chat_id = models.CharField(max_length=ID_MAX_LENGTH)
    visitor_id = models.CharField(max_length=ID_MAX_LENGTH)
    timestamp = models.DateTimeField()
    data = models.JSONField(help_text="The chat object as it was last sent.")
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Chat {self.chat_id}"


class Touch(models.Model):
    """An agent's part in a chat with a visitor: what a conversion is credited to."""

    pk = models.CompositePrimaryKey("account_id", "chat_id", "agent_id")
    # Its own index would repeat the primary key's first column.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    chat_id = models.CharField(max_length=ID_MAX_LENGTH)
    agent_id = models.BigIntegerField()
    visitor_id = models.CharField(max_length=ID_MAX_LENGTH)
    time = models.DateTimeField()
    agent_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    department_id = models.BigIntegerField(null=True)
    department_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "visitor_id", "time"], name="touch_visitor_time"),
        ]

    def __str__(self) -> str:
        return f"Agent {self.agent_id} in chat {self.chat_id}"


class PageView(models.Model):
    """A visit of a visitor to a URL: sent as such, or read from a chat's webpath."""

    pk = models.CompositePrimaryKey("account_id", "page_view_id")
    # Its own index would repeat the primary key's first column.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Room for the ids derived from a chat's id for its webpath (conversions.inputs).
    page_view_id = models.CharField(max_length=ID_MAX_LENGTH + 32)
    visitor_id = models.CharField(max_length=ID_MAX_LENGTH)
    url = models.TextField()
    timestamp = models.DateTimeField()
    title = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["account", "visitor_id", "timestamp"], name="page_view_visitor_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} at {self.url}"


class Conversion(models.Model):
    """A goal met by a visitor after a chat, credited to one of the chat's touches.

    At most one a (goal, chat): the earliest page view that credits the chat (DESIGN.md,
    "Conversions"). `conversion_id` is stable for that pair.
    """

    pk = models.CompositePrimaryKey("account_id", "goal_id", "chat_id")
    # Its own index would repeat the primary key's first column.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    goal_id = models.BigIntegerField()
    chat_id = models.CharField(max_length=ID_MAX_LENGTH)
    conversion_id = models.CharField(max_length=32)
    goal_name = models.CharField(max_length=NAME_MAX_LENGTH)
    visitor_id = models.CharField(max_length=ID_MAX_LENGTH)
    page_view_id = models.CharField(max_length=ID_MAX_LENGTH + 32)
    url = models.TextField()
    timestamp = models.DateTimeField()
    agent_id = models.BigIntegerField()
    agent_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    department_id = models.BigIntegerField(null=True)
    department_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    chat_timestamp = models.DateTimeField(help_text="When the credited touch happened.")
    # Whole seconds, so that the incremental export's cursor (start_time, start_id) is exact.
    update_timestamp = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "conversion_id"], name="conversion_id_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "update_timestamp", "conversion_id"], name="conversion_updates"
            ),
            models.Index(
                fields=["account", "goal_id", "timestamp", "conversion_id"], name="conversion_goal"
            ),
            models.Index(fields=["account", "chat_id", "timestamp"], name="conversion_chat"),
            models.Index(fields=["account", "visitor_id"], name="conversion_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_name} by chat {self.chat_id}"
