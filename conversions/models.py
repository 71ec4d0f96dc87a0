"""Chats, page views, the touches read from the chats, and the conversions credited to them.

Every table carries account_id and every key includes it, so that the tables can be distributed
by account without a redesign (../DESIGN.md, "Scale shape"). Ids are the client's, unique within
the account. No table refers to a chat or a goal with a foreign key: a chat is replaced as a
whole when it is sent again, and a deleted goal's conversions keep its id and name.
"""

from datetime import timedelta

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
    attribution_model = models.CharField(
        max_length=16, help_text="The goal's model when it credited the touch."
    )
    # Whole seconds, so that the incremental export's cursor (start_time, start_id) is exact.
    update_timestamp = models.DateTimeField()

    class Meta:
        # No unique index of conversion_id: it is a function of the primary key
        # (recompute.conversion_id), and that index cost a job a fifth of its writing time.
        indexes = [
            models.Index(
                fields=["account", "update_timestamp", "conversion_id"], name="conversion_updates"
            ),
            models.Index(
                fields=["account", "goal_id", "timestamp", "conversion_id"], name="conversion_goal"
            ),
            models.Index(fields=["account", "chat_id", "timestamp"], name="conversion_chat"),
            models.Index(fields=["account", "visitor_id"], name="conversion_visitor"),
            # The reports' lists and downloads, newest first.
            models.Index(fields=["account", "timestamp", "conversion_id"], name="conversion_time"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_name} by chat {self.chat_id}"


# The daily totals that the reports read (conversions.totals keeps them in step with every write
# of conversions and touches): a report of 90 days sums a few thousand rows of these where it
# would count hundreds of thousands of conversions. Days are UTC dates. A department key is
# NO_DEPARTMENT for a chat without one: a key column cannot be null, and ids are never negative.
NO_DEPARTMENT = -1
# The upper bounds (exclusive) of the buckets of the time from the credited touch to the
# conversion; the last bucket, past the last bound, reaches the longest attribution period.
DELAY_BOUNDS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=3),
    timedelta(days=5),
    timedelta(days=7),
    timedelta(days=14),
)
DELAY_COLUMNS = [f"delay_{bucket}" for bucket in range(len(DELAY_BOUNDS) + 1)]


class ConversionTotal(models.Model):
    """The conversions of a day credited to an agent of a department for a goal, by attribution
    model, with how many fell in each bucket of DELAY_BOUNDS (columns DELAY_COLUMNS)."""

    pk = models.CompositePrimaryKey(
        "account_id", "day", "goal_id", "agent_id", "department_id", "attribution_model"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    goal_id = models.BigIntegerField()
    agent_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    attribution_model = models.CharField(max_length=16)
    conversions = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.conversions} conversions of goal {self.goal_id} on {self.day}"


# One column a bucket, so that a report sums them in the same pass as the conversions.
for _column in DELAY_COLUMNS:
    ConversionTotal.add_to_class(_column, models.IntegerField(default=0))


class GoalDayTotal(models.Model):
    """The conversions of a goal on a day, whoever was credited: what the goals page's counts and
    trend lines read, a row a goal a day, and the goals a report may choose from."""

    pk = models.CompositePrimaryKey("account_id", "goal_id", "day")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    goal_id = models.BigIntegerField()
    day = models.DateField()
    conversions = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.conversions} conversions of goal {self.goal_id} on {self.day}"


class ServedChatTotal(models.Model):
    """The chats of a department served on a day: chats with at least one touch, each counted
    once, on the day of its first touch."""

    pk = models.CompositePrimaryKey("account_id", "day", "department_id")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    department_id = models.BigIntegerField()
    chats = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.chats} chats served on {self.day}"


class AgentServedTotal(models.Model):
    """The chats of a department that an agent served on a day (the day of their touch)."""

    pk = models.CompositePrimaryKey("account_id", "day", "agent_id", "department_id")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    agent_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    chats = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.chats} chats served by agent {self.agent_id} on {self.day}"


class Agent(models.Model):
    """An agent's name as their latest touch (by its time) gives it: what the reports call them."""

    pk = models.CompositePrimaryKey("account_id", "agent_id")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    agent_id = models.BigIntegerField()
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    named_at = models.DateTimeField(help_text="The time of the touch that gave the name.")

    def __str__(self) -> str:
        return self.name or f"Agent {self.agent_id}"


class Department(models.Model):
    """A department's name as its latest chat (by touch time) gives it."""

    pk = models.CompositePrimaryKey("account_id", "department_id")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    department_id = models.BigIntegerField()
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    named_at = models.DateTimeField(help_text="The time of the touch that gave the name.")

    def __str__(self) -> str:
        return self.name or f"Department {self.department_id}"


class RecomputeJobQuerySet(models.QuerySet):
    def waiting(self) -> "RecomputeJobQuerySet":
        """The jobs asked for and not finished (RecomputeJob.waiting, in SQL)."""
        return self.filter(version__gt=models.F("done_version"))


class RecomputeJob(models.Model):
    """A goal's conversions computed anew over all stored data, as a job of the task queue
    (conversions.jobs): the latest change that asked for one (version) against the last job
    that finished (done_version). The job's row goes with its goal."""

    goal = models.OneToOneField(
        "goals.Goal", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)
    done_version = models.PositiveIntegerField(default=0)
    whole = models.BooleanField(
        default=False,
        help_text="The goal's terms changed since the last job: its conversions are computed "
        "anew, not only renamed.",
    )
    asked_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    seconds = models.FloatField(null=True, help_text="How long the last finished job took.")

    objects = RecomputeJobQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Recomputing goal {self.goal_id}"

    @property
    def waiting(self) -> bool:
        """Whether a change asked for a job that has not finished."""
        return self.version > self.done_version


class ChangedVisitor(models.Model):
    """A visitor whose chats or page views arrived while a goal waited for its job, which the
    arriving batches leave the goal to (conversions.recompute.enabled_goals): the job, computing
    without holding those batches off, takes these visitors once more as its last step, when it
    does (conversions.jobs). Rows come in the order batches note them (`id`); a job's last step
    deletes its goal's."""

    id = models.BigAutoField(primary_key=True)
    goal = models.ForeignKey(
        "goals.Goal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    visitor_id = models.CharField(max_length=ID_MAX_LENGTH)

    class Meta:
        indexes = [models.Index(fields=["goal", "id"], name="changed_visitor_goal")]

    def __str__(self) -> str:
        return f"Visitor {self.visitor_id} of goal {self.goal_id}"
