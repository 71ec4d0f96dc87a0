from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from accounts.models import Account


class AttributionModel(models.TextChoices):
    FIRST_TOUCH = "first_touch", "First touch"
    LAST_TOUCH = "last_touch", "Last touch"


class ConditionType(models.TextChoices):
    URL = "url", "URL"


class Operator(models.TextChoices):
    EQUALS = "equals", "equals"
    CONTAINS = "contains", "contains"


# The bounds are the rules' (goals.rules); the columns and constraints repeat them so that
# the database refuses what the rules would, whatever writes to it.
NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 1024
CONDITION_VALUE_MAX_LENGTH = 2048
ATTRIBUTION_PERIOD_MIN = 1
ATTRIBUTION_PERIOD_MAX = 30
DEFAULT_ATTRIBUTION_PERIOD = 30
EQUALS_PREFIXES = ("http://", "https://")


class Door(models.TextChoices):
    """Where a change of a goal came in."""

    API = "api", "the API"
    DASHBOARD = "dashboard", "the dashboard"
    DJANGO_ADMIN = "django_admin", "the Django admin"
    COMMAND = "command", "a command"


class GoalChange(models.Model):
    """What a goal's historical row (django-simple-history's, one a change: create, update,
    delete) holds besides the goal's fields and who and when: the door, the API client that acted
    for the user (its name, as the user named it), the user's email (kept when the user is
    deleted) and the conditions, in order, as the API writes them. goals.history fills them."""

    door = models.CharField(max_length=16, choices=Door.choices, default=Door.COMMAND)
    api_client = models.CharField(max_length=255, blank=True, default="")
    actor_email = models.CharField(max_length=254, blank=True, default="")
    conditions = models.JSONField(default=list)

    class Meta:
        abstract = True


class GoalQuerySet(models.QuerySet["Goal"]):
    def of_account(self, account: Account) -> "GoalQuerySet":
        return self.filter(account=account).prefetch_related("conditions").order_by("id")


class Goal(models.Model):
    """A website conversion credited to the chat agents who served the visitor."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    enabled = models.BooleanField(default=True)
    attribution_model = models.CharField(
        max_length=16, choices=AttributionModel.choices, default=AttributionModel.FIRST_TOUCH
    )
    attribution_period = models.PositiveSmallIntegerField(
        default=DEFAULT_ATTRIBUTION_PERIOD, help_text="Days, from 1 to 30."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()
    # A deleted goal's rows stay: its history stays readable.
    history = HistoricalRecords(
        bases=[GoalChange],
        excluded_fields=["created_at", "updated_at"],
        verbose_name="goal change",
        verbose_name_plural="goal changes",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "enabled"], name="goal_account_enabled")]
        constraints = [
            models.CheckConstraint(
                condition=Q(attribution_period__gte=ATTRIBUTION_PERIOD_MIN)
                & Q(attribution_period__lte=ATTRIBUTION_PERIOD_MAX),
                name="goal_attribution_period_range",
            ),
            models.CheckConstraint(
                condition=Q(attribution_model__in=AttributionModel.values),
                name="goal_attribution_model_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def conditions_in_order(self) -> list["Condition"]:
        """The goal's conditions by position. A write of goals.rules sets them as it stored them,
        so that showing the goal it wrote costs no query."""
        return list(self.conditions.all())

    @property
    def attribution_in_words(self) -> str:
        days = "day" if self.attribution_period == 1 else "days"
        return f"{self.get_attribution_model_display()}, {self.attribution_period} {days}"


class Condition(models.Model):
    """One URL test of a goal; any one condition met fulfils the goal."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="conditions")
    position = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=16, choices=ConditionType.choices, default=ConditionType.URL)
    operator = models.CharField(max_length=16, choices=Operator.choices)
    value = models.CharField(max_length=CONDITION_VALUE_MAX_LENGTH)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "position"], name="condition_position_unique"),
            models.CheckConstraint(
                condition=Q(type__in=ConditionType.values), name="condition_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(operator__in=Operator.values), name="condition_operator_valid"
            ),
            models.CheckConstraint(
                condition=~Q(operator=Operator.EQUALS)
                | Q(value__istartswith=EQUALS_PREFIXES[0])
                | Q(value__istartswith=EQUALS_PREFIXES[1]),
                name="condition_equals_value_is_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.operator} {self.value}"
